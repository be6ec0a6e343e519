/**
 * The judge of the hostile-input properties: sends one request over a real socket and checks that
 * the running service answered as a user may expect, from the outside.
 *
 * - An answer arrives (no reset, no silence), and it is never a 5xx.
 * - A 4xx is JSON `{statusCode, error, message}` with a JSON content type, and Redis is exactly as
 *   before: every key of the app's prefix, its type, its value, and a TTL that was not extended.
 *   So is every answer that is not a write (reads, 304, replays of an Idempotency-Key).
 * - A 2xx is correct: a PUT stored exactly the bytes sent (contact_id inserted first where the
 *   body had none), a PATCH stored the merge of the patch into what GET returned before, a DELETE
 *   left nothing to GET, a GET returned what was stored, a replay repeated the first answer, and
 *   listings and counts describe the stored states. A stored document fits BODY_LIMIT_BYTES: the
 *   bot can PUT back what it reads.
 * - No request is still being handled once it was answered.
 *
 * It keeps its own model of what each contact's GET must return and of the answers remembered
 * for each Idempotency-Key, built only from answers it has checked.
 */
import { tracingChannel } from 'node:diagnostics_channel'
import { setTimeout as sleep } from 'node:timers/promises'
import { isDeepStrictEqual } from 'node:util'
import type { TestApp } from '../helper.js'
import { NoAnswerError, rawRequest, type RawRequest, type RawResponse } from '../support/raw-http.js'
import { keyChanges, snapshotKeys, type KeySnapshot } from '../support/redis-snapshot.js'
import { scanKeys } from '../support/scan-keys.js'

/** A hostile request with what the oracle must know to judge its answer. */
export interface HostileRequest extends RawRequest {
  /** The body once its framing is removed (a chunked body decoded); defaults to `body`. */
  entity?: Buffer
  /** Ends the sending side after the request (a body shorter than its Content-Length). */
  halfClose?: boolean
}

/** In a header value, replaced by the target contact's current entity tag (without quotes). */
export const CURRENT_ETAG = '{current-etag}'

/** A violation of the properties, with the request and answer that show it. */
class PropertyViolation extends Error {
  constructor (what: string, answer?: RawResponse) {
    super(answer === undefined ? what : `${what}\n  answer: ${answer.status} ${answer.body.subarray(0, 400).toString()}`)
    this.name = 'PropertyViolation'
  }
}

const ID = /^[A-Za-z0-9_-]{1,128}$/
const STAGES = ['Q0', 'Q1', 'Q2', 'Q3', 'Q4', 'QUALIFIED', 'STALLED']
const TEMPERATURES = ['HOT', 'WARM', 'COLD']
const PAGE_FIELDS = ['conversations', 'has_next', 'has_prev', 'next_cursor', 'page', 'page_size', 'skipped_unreadable', 'total_count', 'total_pages']
const SUMMARY_ITEM_FIELDS = [
  'condition', 'contact_id', 'conversation_started', 'current_question', 'expires_at', 'is_qualified', 'is_stalled',
  'last_activity', 'location_id', 'motivation', 'price_expectation', 'property_address', 'questions_answered',
  'seller_name', 'stage', 'temperature', 'urgency'
]
const COUNT_FIELDS = ['by_stage', 'by_temperature', 'qualified', 'skipped_unreadable', 'stalled', 'total']
const WRITES = new Set(['PUT', 'PATCH', 'DELETE'])
const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

type Route =
  | { kind: 'state', id: string | null }
  | { kind: 'listing', query: URLSearchParams }
  | { kind: 'summary', query: URLSearchParams }
  | { kind: 'public', path: string }
  | { kind: 'other', path: string }

/**
 * The route the service's router picks for a request target: its path ends at ? or #, and Node
 * reads spaces before the protocol version as separators.
 */
function routeOf (target: string): Route {
  const withoutAuthority = target.trimEnd().replace(/^[a-z]+:\/\/[^/]*/i, '')
  const path = withoutAuthority.split(/[?#]/)[0] as string
  // A parameter given empty is no parameter, for the service as for a dashboard's form.
  const query = new URLSearchParams([...new URLSearchParams(/\?([^#]*)/.exec(withoutAuthority)?.[1] ?? '')].filter(([, value]) => value !== ''))
  const state = /^\/seller\/state\/([^/]+)$/.exec(path)
  if (state !== null) {
    try {
      return { kind: 'state', id: decodeURIComponent(state[1] as string) }
    } catch {
      return { kind: 'state', id: null }
    }
  }
  if (path === '/seller/active') return { kind: 'listing', query }
  if (path === '/seller/active/summary') return { kind: 'summary', query }
  if (/^\/(health\/(live|ready)|metrics|docs)(\/|$)/.test(path)) return { kind: 'public', path }
  return { kind: 'other', path }
}

/** The values of a request header as Node joins them: repeated lines with ", ", latin1. */
function headerValue (request: RawRequest, name: string): string | undefined {
  const values = (request.headers ?? [])
    .filter(([given]) => given.toLowerCase() === name)
    .map(([, value]) => (typeof value === 'string' ? Buffer.from(value) : value).toString('latin1').trim())
  return values.length === 0 ? undefined : values.join(', ')
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/** Sets a member as JSON.parse does, even one named __proto__. */
const setMember = (object: Record<string, unknown>, name: string, value: unknown): void => {
  Object.defineProperty(object, name, { value, enumerable: true, writable: true, configurable: true })
}

/** RFC 7396, on values parsed with JSON.parse. */
function mergePatch (target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch
  const result: Record<string, unknown> = {}
  if (isObject(target)) for (const [name, value] of Object.entries(target)) setMember(result, name, value)
  for (const [name, value] of Object.entries(patch)) {
    if (value === null) delete result[name]
    else setMember(result, name, mergePatch(result[name], value))
  }
  return result
}

/** What a stored document without contact_id becomes: the id inserted as its first member. */
function withIdFirst (text: string, contactId: string): string {
  const brace = text.indexOf('{')
  const rest = text.slice(brace + 1)
  return `${text.slice(0, brace + 1)}"contact_id":${JSON.stringify(contactId)}${/^\s*\}/.test(rest) ? '' : ','}${rest}`
}

/**
 * The route handlers Fastify has started and not finished (its documented tracing channel). A
 * request can be answered before its handler is done (a 400 for bytes that followed it on the
 * connection): what the handler writes then counts against that answer, not the next case.
 */
class RunningHandlers {
  private readonly running = new Set<object>()
  private readonly channel = tracingChannel<object, { async?: boolean }>('fastify.request.handler')
  private readonly subscribers = {
    start: (store: object) => { this.running.add(store) },
    end: (store: { async?: boolean }) => { if (store.async !== true) this.running.delete(store) },
    asyncStart: () => {},
    asyncEnd: (store: object) => { this.running.delete(store) },
    error: () => {}
  }

  constructor () {
    this.channel.subscribe(this.subscribers)
  }

  close (): void {
    this.channel.unsubscribe(this.subscribers)
  }

  /** Whether every handler has finished within the time given. */
  async settled (timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs
    while (this.running.size > 0) {
      if (Date.now() > deadline) return false
      await sleep(5)
    }
    return true
  }
}

/** An answer remembered for an Idempotency-Key of one contact. */
interface Remembered { method: string, text: string, status: number, body: string }

export class ServiceOracle {
  /** What GET of each contact that has a state must return. */
  private readonly documents = new Map<string, string>()
  private readonly remembered = new Map<string, Remembered>()
  private readonly handlers = new RunningHandlers()

  constructor (private readonly ctx: TestApp, readonly port: number, private readonly seeds: Map<string, string>, private readonly timeoutMs = 5000) {}

  close (): void {
    this.handlers.close()
  }

  /**
   * Stores the seeds again and deletes every other state, whatever the last case did (Redis is
   * asked, not the model, which a failed case may have left behind).
   */
  async reset (): Promise<void> {
    const { app, redis, keys } = this.ctx
    for (let bucket = 0; bucket < keys.buckets; bucket++) {
      const { statePrefix } = keys.bucket(bucket)
      for (const key of await scanKeys(redis, `${statePrefix}*`)) {
        const id = key.slice(statePrefix.length)
        if (!this.seeds.has(id)) await app.inject({ method: 'DELETE', url: `/seller/state/${id}` })
      }
    }
    this.documents.clear()
    for (const [id, json] of this.seeds) {
      if ((await app.inject({ url: `/seller/state/${id}` })).body !== json) {
        const res = await app.inject({ method: 'PUT', url: `/seller/state/${id}`, headers: { 'content-type': 'application/json' }, payload: json })
        if (res.statusCode >= 300) throw new Error(`could not store seed ${id}: ${res.statusCode} ${res.body}`)
      }
      this.documents.set(id, json)
    }
  }

  /** The process still answers its liveness probe. */
  async assertAlive (): Promise<void> {
    const answer = await rawRequest(this.port, { method: 'GET', target: '/health/live' }, { timeoutMs: this.timeoutMs })
    if (answer.status !== 200) throw new PropertyViolation('GET /health/live is not 200 any more', answer)
  }

  /** What Redis holds under the app's prefix now. */
  private async snapshot (): Promise<KeySnapshot> {
    return await snapshotKeys(this.ctx.redis, this.ctx.config.keyPrefix)
  }

  /** Redis is exactly as before: no key created, deleted or changed, no TTL extended. */
  private async assertUnchanged (before: KeySnapshot, why: string, answer: RawResponse): Promise<void> {
    const changes = keyChanges(before, await this.snapshot(), this.ctx.keys)
    if (changes.length > 0) throw new PropertyViolation(`Redis changed after ${why}: ${changes.slice(0, 5).join('; ')}`, answer)
  }

  /** The request with CURRENT_ETAG replaced by the target's entity tag (or one nothing has). */
  private async resolveEtag (request: HostileRequest, route: Route): Promise<HostileRequest> {
    const needs = (request.headers ?? []).some(([, value]) => typeof value === 'string' && value.includes(CURRENT_ETAG))
    if (!needs) return request
    let tag = 'no-such-tag'
    if (route.kind === 'state' && route.id !== null && ID.test(route.id)) {
      const res = await this.ctx.app.inject({ url: `/seller/state/${route.id}` })
      if (res.statusCode === 200) tag = (res.headers.etag as string).slice(1, -1)
    }
    return {
      ...request,
      headers: (request.headers ?? []).map(([name, value]) => [name, typeof value === 'string' ? value.replaceAll(CURRENT_ETAG, tag) : value])
    }
  }

  /** Sends the request and throws a PropertyViolation if its answer breaks a property; else resolves with its status. */
  async check (hostile: HostileRequest): Promise<number> {
    const targetText = typeof hostile.target === 'string' ? hostile.target : hostile.target.toString('latin1')
    const route = routeOf(targetText)
    const request = await this.resolveEtag(hostile, route)
    const before = await this.snapshot()
    let answer: RawResponse
    try {
      answer = await rawRequest(this.port, request, { timeoutMs: this.timeoutMs, halfClose: request.halfClose === true })
    } catch (err) {
      if (err instanceof NoAnswerError) throw new PropertyViolation(err.message)
      throw err
    }
    if (answer.status >= 500) throw new PropertyViolation('a 5xx answer', answer)
    if (!await this.handlers.settled(this.timeoutMs)) throw new PropertyViolation(`a handler still ran ${this.timeoutMs} ms after the answer`, answer)
    if (answer.status >= 400) {
      this.checkErrorBody(request, route, answer)
      await this.assertUnchanged(before, `a ${answer.status}`, answer)
      return answer.status
    }
    const write = WRITES.has(request.method) && route.kind === 'state'
    if (!write || answer.headers['idempotent-replayed'] === 'true') {
      await this.checkRead(request, route, answer)
      await this.assertUnchanged(before, `a ${answer.status} to ${request.method}`, answer)
      return answer.status
    }
    await this.checkWrite(request, route.id, answer)
    return answer.status
  }

  private checkErrorBody (request: RawRequest, route: Route, answer: RawResponse): void {
    const type = String(answer.headers['content-type'] ?? '')
    if (!type.startsWith('application/json')) throw new PropertyViolation(`a ${answer.status} without a JSON content type (${type})`, answer)
    if (request.method === 'HEAD') return
    let error: Record<string, unknown>
    try {
      error = JSON.parse(answer.body.toString()) as Record<string, unknown>
    } catch {
      throw new PropertyViolation(`a ${answer.status} whose body is not JSON`, answer)
    }
    if (error.statusCode !== answer.status || typeof error.error !== 'string' || typeof error.message !== 'string') {
      throw new PropertyViolation(`a ${answer.status} whose body is not {statusCode, error, message}`, answer)
    }
    if (error.code === 'STATE_NOT_FOUND' && route.kind === 'state' && route.id !== null && this.documents.has(route.id)) {
      throw new PropertyViolation(`404 STATE_NOT_FOUND for ${route.id}, which has a state`, answer)
    }
  }

  /** A 2xx or 3xx that writes nothing: a read, a listing, a replay, a public page. */
  private async checkRead (request: RawRequest, route: Route, answer: RawResponse): Promise<void> {
    const head = request.method === 'HEAD'
    if (answer.headers['idempotent-replayed'] === 'true') {
      this.checkReplay(request, route, answer)
      return
    }
    if (request.method !== 'GET' && !head) throw new PropertyViolation(`a ${answer.status} to ${request.method} ${route.kind}`, answer)
    switch (route.kind) {
      case 'state': {
        const id = route.id ?? ''
        const stored = this.documents.get(id)
        if (stored === undefined) throw new PropertyViolation(`a ${answer.status} for ${JSON.stringify(id)}, which has no state`, answer)
        if (answer.status === 304) {
          if (headerValue(request, 'if-none-match') === undefined) throw new PropertyViolation('a 304 without If-None-Match', answer)
        } else if (answer.status !== 200 || (!head && answer.body.toString() !== stored)) {
          throw new PropertyViolation(`GET ${id} did not return the stored document`, answer)
        }
        return
      }
      case 'listing': if (!head) this.checkListing(route.query, answer); return
      case 'summary': if (!head) this.checkSummary(route.query, answer); return
      case 'public': return
      case 'other': throw new PropertyViolation(`a ${answer.status} for the unknown path ${route.path}`, answer)
    }
  }

  private idempotencyKeyOf (request: RawRequest, id: string): string | null {
    const key = headerValue(request, 'idempotency-key')
    return key === undefined ? null : `${id}\n${key}`
  }

  /** The body as the service reads it: decoded strictly, without a byte order mark. */
  private static textOf (request: HostileRequest): string {
    const entity = request.entity ?? (typeof request.body === 'string' ? Buffer.from(request.body) : request.body)
    return entity === undefined ? '' : strictUtf8.decode(entity)
  }

  private checkReplay (request: HostileRequest, route: Route, answer: RawResponse): void {
    const key = route.kind === 'state' && route.id !== null ? this.idempotencyKeyOf(request, route.id) : null
    const first = key === null ? undefined : this.remembered.get(key)
    if (first === undefined) throw new PropertyViolation('a replay of an Idempotency-Key that no write used', answer)
    const sameRequest = first.method === request.method && (request.method === 'DELETE' || first.text === ServiceOracle.textOf(request))
    if (!sameRequest) throw new PropertyViolation('a replay for a different request under the same Idempotency-Key', answer)
    // A replayed PATCH has no body once its document was replaced: records keep no copy of it.
    const body = answer.body.toString()
    if (first.status !== answer.status || (first.body !== body && !(request.method === 'PATCH' && body === ''))) {
      throw new PropertyViolation(`the replay differs from the first answer (${first.status} ${first.body.slice(0, 200)})`, answer)
    }
  }

  private async storedJson (id: string): Promise<{ status: number, body: string, etag: unknown }> {
    const res = await this.ctx.app.inject({ url: `/seller/state/${id}` })
    return { status: res.statusCode, body: res.body, etag: res.headers.etag }
  }

  /** A PUT, PATCH or DELETE that answered 2xx and was not a replay. */
  private async checkWrite (request: HostileRequest, id: string | null, answer: RawResponse): Promise<void> {
    if (id === null || !ID.test(id)) throw new PropertyViolation(`a ${answer.status} write for the invalid id ${JSON.stringify(id)}`, answer)
    const key = this.idempotencyKeyOf(request, id)
    if (key !== null && this.remembered.has(key)) throw new PropertyViolation('an Idempotency-Key used before was neither replayed nor refused', answer)
    const body = answer.body.toString()
    const previous = this.documents.get(id)
    const after = await this.storedJson(id)
    if (after.status === 200) this.documents.set(id, after.body)
    else this.documents.delete(id)
    if (key !== null) this.remembered.set(key, { method: request.method, text: ServiceOracle.textOf(request), status: answer.status, body })
    if (request.method === 'DELETE') {
      if (answer.status !== 204) throw new PropertyViolation('DELETE answered other than 204', answer)
      if (after.status !== 404) throw new PropertyViolation(`GET after DELETE answered ${after.status}`, answer)
    } else {
      // A PATCH's answer is compared as values: the service re-serializes the merged document.
      const [expected, got] = request.method === 'PUT'
        ? [this.expectedPut(request, id, answer, previous), body]
        : [this.expectedPatch(request, id, answer, previous), JSON.stringify(JSON.parse(body))]
      if (got !== expected) throw new PropertyViolation(`${request.method} answered another document than expected:\n  expected ${expected.slice(0, 400)}`, answer)
      if (after.body !== body || after.etag !== answer.headers.etag) throw new PropertyViolation(`GET after ${request.method} returned ${after.status} ${after.body.slice(0, 200)}`, answer)
      if (Buffer.byteLength(body) > this.ctx.config.bodyLimitBytes) {
        throw new PropertyViolation(`${request.method} stored ${Buffer.byteLength(body)} bytes, more than a PUT accepts (${this.ctx.config.bodyLimitBytes}): the bot cannot write back what it reads`, answer)
      }
    }
  }

  private expectedPut (request: HostileRequest, id: string, answer: RawResponse, previous: string | undefined): string {
    if (answer.status !== (previous === undefined ? 201 : 200)) throw new PropertyViolation(`PUT answered ${answer.status} to a contact that ${previous === undefined ? 'had no' : 'had a'} state`, answer)
    const text = ServiceOracle.textOf(request)
    return (JSON.parse(text) as Record<string, unknown>).contact_id === undefined ? withIdFirst(text, id) : text
  }

  /** The merge of the patch into the previous document (contact_id first if it lost it), as JSON.stringify writes it. */
  private expectedPatch (request: HostileRequest, id: string, answer: RawResponse, previous: string | undefined): string {
    if (previous === undefined) throw new PropertyViolation(`PATCH answered ${answer.status} to a contact without state`, answer)
    if (answer.status !== 200) throw new PropertyViolation(`PATCH answered ${answer.status}`, answer)
    const merged = mergePatch(JSON.parse(previous), JSON.parse(ServiceOracle.textOf(request))) as Record<string, unknown>
    return JSON.stringify('contact_id' in merged ? merged : { contact_id: id, ...merged })
  }

  private checkListing (query: URLSearchParams, answer: RawResponse): void {
    const page = this.jsonObject(answer)
    if (!isDeepStrictEqual(Object.keys(page).sort(), PAGE_FIELDS)) throw new PropertyViolation('a listing page without the documented fields', answer)
    const conversations = page.conversations as Array<Record<string, unknown>>
    const pageSize = Number(query.get('page_size') ?? 20)
    if (page.page_size !== pageSize || conversations.length > pageSize || page.skipped_unreadable !== 0) {
      throw new PropertyViolation('a listing page of the wrong size', answer)
    }
    // Enumerated values in any letter case.
    const full = query.get('view')?.toLowerCase() === 'full'
    for (const item of conversations) {
      const { document, ...summary } = item
      const stored = this.documents.get(String(item.contact_id))
      const mismatch = stored === undefined ||
        !isDeepStrictEqual(Object.keys(summary).sort(), SUMMARY_ITEM_FIELDS) ||
        (full ? !isDeepStrictEqual(document, JSON.parse(stored)) : document !== undefined) ||
        !STAGES.includes(String(item.stage)) || !TEMPERATURES.includes(String(item.temperature)) ||
        (query.has('location_id') && item.location_id !== query.get('location_id')) ||
        (query.has('stage') && item.stage !== query.get('stage')?.toUpperCase()) ||
        (query.has('temperature') && item.temperature !== query.get('temperature')?.toUpperCase())
      if (mismatch) throw new PropertyViolation(`listing item ${JSON.stringify(item).slice(0, 300)} does not match a stored state and the filters`, answer)
    }
  }

  private checkSummary (query: URLSearchParams, answer: RawResponse): void {
    const counts = this.jsonObject(answer)
    if (!isDeepStrictEqual(Object.keys(counts).sort(), COUNT_FIELDS) ||
      !isDeepStrictEqual(Object.keys(counts.by_stage as object).sort(), [...STAGES].sort()) ||
      !isDeepStrictEqual(Object.keys(counts.by_temperature as object).sort(), [...TEMPERATURES].sort())) {
      throw new PropertyViolation('a summary without the documented fields', answer)
    }
    const location = query.get('location_id')
    const expected = [...this.documents.values()]
      .filter((json) => location === null || (JSON.parse(json) as { location_id: string }).location_id === location).length
    if (counts.total !== expected) throw new PropertyViolation(`a summary total of ${String(counts.total)}, expected ${expected}`, answer)
  }

  private jsonObject (answer: RawResponse): Record<string, unknown> {
    try {
      return JSON.parse(answer.body.toString()) as Record<string, unknown>
    } catch {
      throw new PropertyViolation('a 200 whose body is not JSON', answer)
    }
  }
}
