/**
 * The listing indexes under random traffic: a seeded sequence of PUTs, PATCHes and DELETEs
 * through the HTTP API, some states expiring (written by a second instance whose TTL is 1 s, so
 * they expire as the service wrote them) and some removed behind the service's back (PEXPIRE,
 * then the sweep). After every batch, GET /seller/active and GET /seller/active/summary are
 * compared, for many random queries, with the brute force of selectPage over the conversations
 * built from GET /seller/state/:id of every live contact, and the Redis indexes are compared
 * entry by entry with those conversations.
 *
 * Reproduce a failure with the seed it prints: LISTING_SEED=<seed> npx tap test/routes/listing-indexes.test.ts
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { prng } from '../fixtures/prng.js'
import t, { type Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { botState, build, deleteState, getState, patchState, putState, storedKeys, type TestApp } from '../helper.js'
import { STAGES, TEMPERATURES, type Stage, type Temperature } from '../../schemas/state-document.js'
import { selectPage, type ActiveCounts, type ActiveSelection, type SortKey } from '../../src/state/active-listing.js'
import { toConversation, type Conversation } from '../../src/state/conversation-summary.js'
import type { ActiveState } from '../../src/state/listing-store.js'

type Doc = Record<string, unknown>

const SEED = Number(process.env.LISTING_SEED ?? 20260123)
const STALL_AFTER_SECONDS = 86_400
const STALL_AFTER_MS = STALL_AFTER_SECONDS * 1000
const DAY_MS = 86_400_000
const LOCATIONS = ['loc-north', 'loc_South', 'LOC-3', 'loc-4']
const SORTS: SortKey[] = ['last_activity', 'conversation_started', 'stage', 'temperature']
const PAGE_SIZES = [1, 2, 3, 5, 7, 10, 20, 50, 200]
const NAMES = ['Jane Smith', 'Bob Jones', 'Ann Smithers', 'Carlos Oakley', 'Lee Maple', 'José Núñez']
const ADDRESSES = ['12 Maple Ave', '9 Oak Street', '1 maple court', '1412 Elm St, Tulsa, OK', '77 Lead Road']
const SEARCHES = ['smith', 'MAPLE', 'oak st', 'lead', 'c-', 'x', 'núñez', 'Elm St, T', 'nobody']
// Python isoformat() offsets, in minutes; null: a naive datetime (read as UTC).
const OFFSETS = [null, null, null, 0, 60, 120, -300, -240, 330, 345, -210]

const random = prng(SEED)
const chance = (p: number): boolean => random() < p
const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1))
const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T
const randomCase = (word: string): string => [...word].map((c) => chance(0.5) ? c.toLowerCase() : c.toUpperCase()).join('')

function sample<T> (values: readonly T[], n: number): T[] {
  const rest = [...values]
  const out: T[] = []
  while (out.length < n && rest.length > 0) out.push(rest.splice(Math.floor(random() * rest.length), 1)[0] as T)
  return out
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0')

/** Python isoformat() of an instant given in microseconds, naive (UTC) or with an offset. */
function isoformat (micros: number, offsetMinutes: number | null): string {
  const ms = Math.floor(micros / 1000)
  const fraction = (ms % 1000) * 1000 + (micros % 1000)
  const local = new Date(ms + (offsetMinutes ?? 0) * 60_000).toISOString().slice(0, 19)
  let text = fraction === 0 ? local : `${local}.${pad(fraction, 6)}`
  if (offsetMinutes !== null) {
    const abs = Math.abs(offsetMinutes)
    text += `${offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  }
  return text
}

const T0 = Date.now()
// The stalled cutoff moves with the clock during the run: no last activity near it, so that the
// service (its own Date.now()) and the brute force (ours) agree on is_stalled.
const CUTOFF_FROM = T0 - STALL_AFTER_MS - 60_000
const CUTOFF_TO = T0 - STALL_AFTER_MS + 120_000

const interactions: number[] = []
const starts: number[] = []

/** An instant (µs) from `pool` again (ties, often written differently), or a new one in range. */
function instant (pool: number[], fromMs: number, toMs: number, avoidCutoff: boolean): number {
  if (pool.length > 0 && chance(0.3)) return pick(pool)
  const nearCutoff = (ms: number): boolean => avoidCutoff && ms >= CUTOFF_FROM && ms <= CUTOFF_TO
  let ms = int(fromMs, toMs)
  while (nearCutoff(ms)) ms = int(fromMs, toMs)
  let micros = ms * 1000 + (chance(0.3) ? 0 : int(0, 999))
  if (chance(0.15)) micros = Math.floor(micros / 1e6) * 1e6
  pool.push(micros)
  return micros
}

const lastInteraction = (): string => isoformat(instant(interactions, T0 - 5 * DAY_MS, T0 - 5_000, true), pick(OFFSETS))
const conversationStarted = (): string => isoformat(instant(starts, T0 - 10 * DAY_MS, T0 - 5_000, false), pick(OFFSETS))

/** Sets an optional field: present (from `values`), null, or absent. */
function optional (doc: Doc, field: string, values: () => unknown): void {
  const roll = random()
  if (roll < 0.6) doc[field] = values()
  else if (roll < 0.7) doc[field] = null
  else delete doc[field]
}

function randomDocument (id: string): Doc {
  const qualified = chance(0.25)
  const doc = botState({
    contact_id: id,
    location_id: pick(LOCATIONS),
    stage: qualified && chance(0.6) ? 'QUALIFIED' : pick(STAGES),
    current_question: int(0, 4),
    questions_answered: chance(0.45) ? 4 : int(0, 3),
    is_qualified: qualified,
    offer_accepted: pick([true, false, null]),
    timeline_acceptable: pick([true, false, null]),
    price_expectation: chance(0.5) ? null : int(50, 900) * 1000,
    last_interaction: chance(0.12) ? null : lastInteraction(),
    conversation_started: conversationStarted()
  })
  // The bot may leave contact_id out: it is filled from the path.
  if (chance(0.2)) delete doc.contact_id
  optional(doc, 'temperature', () => randomCase(pick(TEMPERATURES)))
  optional(doc, 'seller_name', () => pick(NAMES))
  optional(doc, 'property_address', () => pick(ADDRESSES))
  if (chance(0.1)) doc.lead_source = 'zillow'
  return doc
}

/** A merge patch that moves a contact between stage, temperature, location and qualified. */
function randomPatch (): Doc {
  const patch: Doc = {}
  while (Object.keys(patch).length === 0) {
    if (chance(0.4)) patch.stage = pick(STAGES)
    // null removes the temperature: the bot's rule applies again.
    if (chance(0.35)) patch.temperature = chance(0.3) ? null : randomCase(pick(TEMPERATURES))
    if (chance(0.3)) patch.location_id = pick(LOCATIONS)
    if (chance(0.25)) patch.is_qualified = chance(0.5)
    if (chance(0.25)) {
      patch.questions_answered = 4
      patch.offer_accepted = chance(0.5)
      patch.timeline_acceptable = chance(0.5)
    } else if (chance(0.1)) {
      patch.questions_answered = int(0, 3)
    }
    if (chance(0.25)) patch.last_interaction = lastInteraction()
    if (chance(0.1)) patch.seller_name = chance(0.3) ? null : pick(NAMES)
  }
  return patch
}

/** RFC 7396 at the top level (the patches above change nothing deeper). */
function merge (doc: Doc, patch: Doc): Doc {
  const merged = { ...doc }
  for (const [field, value] of Object.entries(patch)) {
    if (value === null) delete merged[field]
    else merged[field] = value
  }
  return merged
}

function randomId (taken: Set<string>): string {
  const alphabet = 'abcdefXYZ0123456789_-'
  let id: string
  do {
    id = pick(['c-', 'C_', 'lead-', 'Lead_', 'x', 'seller-', '']) +
      Array.from({ length: int(1, 6) }, () => pick([...alphabet])).join('')
  } while (taken.has(id))
  taken.add(id)
  return id
}

/** The summary's counts, by brute force. */
function countsOf (conversations: Conversation[]): ActiveCounts & { skipped_unreadable: number } {
  const counts = {
    total: 0,
    by_stage: Object.fromEntries(STAGES.map((stage) => [stage, 0])) as Record<Stage, number>,
    by_temperature: Object.fromEntries(TEMPERATURES.map((temperature) => [temperature, 0])) as Record<Temperature, number>,
    qualified: 0,
    stalled: 0,
    skipped_unreadable: 0
  }
  for (const { summary } of conversations) {
    counts.total++
    counts.by_stage[summary.stage]++
    counts.by_temperature[summary.temperature]++
    if (summary.is_qualified) counts.qualified++
    if (summary.is_stalled) counts.stalled++
  }
  return counts
}

const slotOf = ({ summary }: Conversation): string =>
  `${summary.stage}:${summary.temperature}:${summary.is_qualified ? 'q' : 'u'}`

t.test('listing and summary agree with a brute force over every live document, under random writes, deletes and expiry', async (t: Test) => {
  t.comment(`seed ${SEED} (LISTING_SEED=${SEED} replays this run)`)
  const main = await build(t, { STALL_AFTER_SECONDS: String(STALL_AFTER_SECONDS), SWEEP_INTERVAL_SECONDS: '0' })
  const { app, config, redis, keys } = main
  // The same keys, written with a TTL of 1 s: its states expire the way the service wrote them.
  const shortLived: TestApp = await build(t, {
    KEY_PREFIX: config.keyPrefix,
    STATE_TTL_SECONDS: '1',
    STALL_AFTER_SECONDS: String(STALL_AFTER_SECONDS),
    SWEEP_INTERVAL_SECONDS: '0'
  })
  const stateKey = (id: string): string => keys.of(id).state(id)
  const buckets = Array.from({ length: keys.buckets }, (_, i) => keys.bucket(i))
  /** Each contact's field in its bucket's index meta, and its score in its bucket's active index. */
  const metaOf = async (ids: string[]): Promise<Array<string | null>> => await Promise.all(ids.map(async (id) => await redis.hget(keys.of(id).indexMeta, id)))
  const expiryOf = async (ids: string[]): Promise<Array<string | null>> => await Promise.all(ids.map(async (id) => await redis.zscore(keys.of(id).activeIndex, id)))

  const taken = new Set<string>()
  const unused = Array.from({ length: 90 }, () => randomId(taken))
  /** Every contact id written so far, live or not, in first-write order. */
  const known: string[] = []
  /** The document each live contact must have, as GET returns it. */
  const model = new Map<string, Doc>()
  const gone = { deleted: 0, expired: 0, ghosts: 0 }
  let operations = 0
  let queries = 0
  let mismatches = 0
  const tooMany = (): boolean => mismatches > 15

  const context = (batch: number, what: string): string => `seed ${SEED}, batch ${batch}: ${what}`
  function check (ok: boolean): void {
    if (!ok) mismatches++
  }

  function expectStatus (res: LightMyRequestResponse, expected: number, batch: number, what: string): void {
    operations++
    if (res.statusCode !== expected) check(t.equal(res.statusCode, expected, context(batch, `${what} (${res.body})`)))
  }

  const liveIds = (): string[] => [...model.keys()]

  async function put (target: TestApp, id: string, doc: Doc, batch: number): Promise<void> {
    const res = await putState(target.app, id, doc)
    expectStatus(res, model.has(id) ? 200 : 201, batch, `PUT ${id}`)
    if (!known.includes(id)) known.push(id)
    model.set(id, { ...doc, contact_id: id })
  }

  async function patch (target: TestApp, id: string, batch: number): Promise<void> {
    const changes = randomPatch()
    const res = await patchState(target.app, id, changes)
    const current = model.get(id)
    expectStatus(res, current === undefined ? 404 : 200, batch, `PATCH ${id} ${JSON.stringify(changes)}`)
    if (current !== undefined) model.set(id, merge(current, changes))
  }

  async function remove (id: string, batch: number): Promise<void> {
    expectStatus(await deleteState(app, id), 204, batch, `DELETE ${id}`)
    if (model.delete(id)) gone.deleted++
  }

  async function randomOperation (batch: number): Promise<void> {
    const live = liveIds()
    const absent = known.filter((id) => !model.has(id))
    const roll = random()
    if (live.length === 0 || (roll < 0.22 && unused.length > 0)) {
      const id = unused.shift() ?? randomId(taken)
      return await put(main, id, randomDocument(id), batch)
    }
    if (roll < 0.26 && absent.length > 0) {
      // A contact that was deleted or expired comes back: created again.
      const id = pick(absent)
      return await put(main, id, randomDocument(id), batch)
    }
    const id = pick(live)
    if (roll < 0.48) return await put(main, id, randomDocument(id), batch)
    // The same document again: a null last_interaction moves to the time of this write.
    if (roll < 0.54) return await put(main, id, model.get(id) as Doc, batch)
    if (roll < 0.82) return await patch(main, id, batch)
    if (roll < 0.85) return await patch(main, absent.length > 0 ? pick(absent) : randomId(taken), batch)
    if (roll < 0.97) return await remove(id, batch)
    return await remove(absent.length > 0 ? pick(absent) : randomId(taken), batch)
  }

  /**
   * States written by the 1 s instance (new contacts, PUTs and PATCHes of live ones) expire;
   * then, with 'sweep', the periodic sweep and a look at the indexes before anything lists them.
   */
  async function expiryPhase (batch: number, then: 'sweep' | 'read'): Promise<void> {
    const victims = sample(liveIds(), int(3, 5))
    for (const id of victims) {
      if (chance(0.5)) await put(shortLived, id, randomDocument(id), batch)
      else await patch(shortLived, id, batch)
    }
    for (let i = 0; i < 2; i++) {
      const id = unused.shift() ?? randomId(taken)
      victims.push(id)
      await put(shortLived, id, randomDocument(id), batch)
    }
    const alive = await app.inject({ url: `/seller/active?page_size=200&q=${encodeURIComponent(victims[victims.length - 1] as string)}` })
    t.ok(alive.json().conversations.some((item: { contact_id: string }) => item.contact_id === victims[victims.length - 1]),
      context(batch, 'a state of the 1 s instance is listed while it lives'))
    await sleep(1200)
    for (const id of victims) model.delete(id)
    gone.expired += victims.length
    if (then === 'read') return
    // The sweep takes expired entries out of the indexes (README), as every listing does first.
    const report = await app.indexMaintenance.sweep()
    check(t.ok(report.expired >= victims.length, context(batch, 'the sweep counted the expired entries')))
    const meta = await metaOf(victims)
    const expiries = await expiryOf(victims)
    check(t.strictSame({ meta, expiries }, { meta: victims.map(() => null), expiries: victims.map(() => null) },
      context(batch, 'the sweep removed the expired entries from the indexes')))
  }

  /** State keys expired behind the service's back: ghosts, until the sweep removes them. */
  async function ghostPhase (batch: number): Promise<void> {
    const victims = sample(liveIds(), 3)
    for (const id of victims) t.equal(await redis.pexpire(stateKey(id), 1), 1, context(batch, `PEXPIRE ${id}`))
    await sleep(50)
    for (const id of victims) model.delete(id)
    gone.ghosts += victims.length
    // No page ever shows one: the documents of a page are read, a missing one is left out, and
    // the listing takes it out of the indexes there and then (the sweep would otherwise).
    const listed = (await app.inject({ url: '/seller/active?page_size=200' })).json().conversations.map((item: { contact_id: string }) => item.contact_id)
    check(t.strictSame(listed.filter((id: string) => victims.includes(id)), [], context(batch, 'a state expired behind the service\'s back is not listed')))
    const meta = await metaOf(victims)
    check(t.strictSame(meta, victims.map(() => null), context(batch, 'the listing that met them took them out of the indexes')))
    const report = await app.indexMaintenance.sweep()
    t.equal(report.ghosts, 0, context(batch, 'leaving the sweep nothing to repair'))
  }

  /** GET of every contact ever written: the live ones as the model says, the others 404. */
  async function liveStates (batch: number): Promise<ActiveState[]> {
    const states: ActiveState[] = []
    const found: Record<string, unknown> = {}
    const statuses: Record<string, number> = {}
    for (const id of known) {
      const res = await getState(app, id)
      statuses[id] = res.statusCode
      if (res.statusCode !== 200) continue
      found[id] = JSON.parse(res.body)
      const [at, exp] = await redis.hmget(stateKey(id), 'at', 'exp')
      states.push({ contactId: id, json: res.body, etag: String(res.headers.etag), writtenAtMs: Number(at), expiresAtMs: Number(exp) })
    }
    const expectedStatuses = Object.fromEntries(known.map((id) => [id, model.has(id) ? 200 : 404]))
    check(t.strictSame(statuses, expectedStatuses, context(batch, 'GET /seller/state/:id finds exactly the live contacts')))
    check(t.strictSame(found, Object.fromEntries(model), context(batch, 'every live document is the one last written')))
    const stillStored = await Promise.all(known.filter((id) => !model.has(id)).map(async (id) => [id, await redis.exists(stateKey(id))] as const))
    check(t.strictSame(stillStored.filter(([, exists]) => exists !== 0), [], context(batch, 'no state key of a deleted or expired contact')))
    return states
  }

  function randomQuery (conversations: Conversation[]): { selection: ActiveSelection, query: string, view: string } {
    const selection: ActiveSelection = { sort: 'last_activity', order: 'desc', page: 1, page_size: 20 }
    const params: string[] = []
    if (chance(0.3)) {
      selection.location_id = chance(0.1) ? 'loc-none' : pick(LOCATIONS)
      params.push(`location_id=${selection.location_id}`)
    }
    if (chance(0.2)) {
      selection.stage = pick(STAGES)
      params.push(`stage=${selection.stage}`)
    }
    if (chance(0.25)) {
      selection.temperature = pick(TEMPERATURES)
      params.push(`temperature=${randomCase(selection.temperature)}`)
    }
    if (chance(0.25)) {
      selection.stalled = chance(0.5)
      params.push(`stalled=${selection.stalled}`)
    }
    if (chance(0.12)) {
      const ids = conversations.map((c) => c.summary.contact_id)
      const id = ids.length > 0 && chance(0.4) ? pick(ids) : undefined
      const start = id === undefined ? 0 : int(0, Math.max(0, id.length - 2))
      selection.q = id === undefined ? pick(SEARCHES) : randomCase(id.slice(start, start + int(2, 3)))
      params.push(`q=${encodeURIComponent(selection.q)}`)
    }
    if (chance(0.85)) {
      selection.sort = pick(SORTS)
      params.push(`sort=${selection.sort}`)
    }
    if (chance(0.7)) {
      selection.order = pick(['asc', 'desc'] as const)
      params.push(`order=${selection.order}`)
    }
    if (chance(0.8)) {
      selection.page_size = pick(PAGE_SIZES)
      params.push(`page_size=${selection.page_size}`)
    }
    const total = selectPage(conversations, selection).total_count
    if (chance(0.85)) {
      // Mostly a page that exists; else one or two past the end, or the largest page number allowed.
      const pages = Math.ceil(total / selection.page_size)
      const roll = random()
      selection.page = roll < 0.04 ? 100000 : roll < 0.2 ? pages + int(1, 2) : int(1, Math.max(1, pages))
      params.push(`page=${selection.page}`)
    }
    const view = pick(['', 'summary', 'full'])
    if (view !== '') params.push(`view=${view}`)
    return { selection, query: sample(params, params.length).join('&'), view }
  }

  async function compareListing (batch: number, conversations: Conversation[]): Promise<void> {
    const { selection, query, view } = randomQuery(conversations)
    const res = await app.inject({ url: `/seller/active?${query}` })
    queries++
    const what = `GET /seller/active?${query}`
    if (!t.equal(res.statusCode, 200, context(batch, `${what} answers 200 (${res.body.slice(0, 200)})`))) return check(false)
    const body = res.json()
    const expected = selectPage(conversations, selection)
    const paging = (page: Record<string, unknown>, ids: string[]): Record<string, unknown> => ({
      ids,
      total_count: page.total_count,
      page: page.page,
      page_size: page.page_size,
      total_pages: page.total_pages,
      has_next: page.has_next,
      has_prev: page.has_prev
    })
    const sameOrder = t.strictSame(
      { ...paging(body, body.conversations.map((item: { contact_id: string }) => item.contact_id)), skipped_unreadable: body.skipped_unreadable },
      { ...paging(expected as unknown as Record<string, unknown>, expected.items.map((c) => c.summary.contact_id)), skipped_unreadable: 0 },
      context(batch, `${what}: the contacts in order and the paging`))
    check(sameOrder)
    if (!sameOrder) return
    const items = expected.items.map((c) => view === 'full' ? { ...c.summary, document: JSON.parse(c.json) } : c.summary)
    check(t.strictSame(body.conversations, items, context(batch, `${what}: every item`)))
  }

  async function compareSummaries (batch: number, conversations: Conversation[]): Promise<void> {
    for (const location of [undefined, ...LOCATIONS, 'loc-none']) {
      const query = location === undefined ? '' : `?location_id=${location}`
      const res = await app.inject({ url: `/seller/active/summary${query}` })
      queries++
      const expected = countsOf(conversations.filter((c) => location === undefined || c.summary.location_id === location))
      check(t.strictSame(res.json(), expected, context(batch, `GET /seller/active/summary${query}`)))
    }
  }

  /** The Redis indexes hold exactly the live contacts, each in its slot, with its scores. */
  async function compareIndexes (batch: number, conversations: Conversation[]): Promise<void> {
    const idOf = (c: Conversation): string => c.summary.contact_id
    // Per bucket: each contact sits in its own bucket's indexes (one bucket on a single node).
    const perBucket = (value: (c: Conversation) => string | number): Array<Record<string, string | number>> => buckets.map((_, i) =>
      Object.fromEntries(conversations.filter((c) => keys.bucketOf(idOf(c)) === i).map((c) => [idOf(c), value(c)])))
    const meta = await Promise.all(buckets.map(async (bucket) => await redis.hgetall(bucket.indexMeta)))
    check(t.strictSame(meta, perBucket((c) => `${slotOf(c)}|${c.summary.location_id}`),
      context(batch, 'index_meta: one entry per live contact, none for a deleted or expired one')))

    const scores = async (key: string): Promise<Record<string, number>> => {
      const flat = await redis.zrange(key, '0', '-1', 'WITHSCORES')
      const out: Record<string, number> = {}
      for (let i = 0; i < flat.length; i += 2) out[flat[i] as string] = Number(flat[i + 1])
      return out
    }
    check(t.strictSame(await Promise.all(buckets.map(async (bucket) => await scores(bucket.activeIndex))),
      perBucket((c) => Date.parse(c.summary.expires_at ?? 'none')),
      context(batch, 'active_contacts: exactly the live contacts, scored by expiry')))
    check(t.strictSame(await Promise.all(buckets.map(async (bucket) => await scores(bucket.startedIndex))), perBucket((c) => c.conversationStartedMs),
      context(batch, 'started: exactly the live contacts, scored by conversation_started')))

    // Every member of every slot set, by contact: each live contact sits in exactly one global
    // and one location set, the right ones, scored by its last activity. The slot sets are
    // what is stored besides the states and each bucket's other indexes.
    const others = new Set(buckets.flatMap((bucket) => [bucket.activeIndex, bucket.startedIndex, bucket.indexMeta, bucket.events]))
    const slotSets = (await storedKeys(main)).filter((key) => !others.has(key) && !buckets.some((bucket) => key.startsWith(bucket.statePrefix)))
    const entries: Record<string, string[]> = {}
    for (const key of slotSets) {
      for (const [id, score] of Object.entries(await scores(key))) (entries[id] ??= []).push(`${key} ${score}`)
    }
    for (const list of Object.values(entries)) list.sort()
    check(t.strictSame(entries, Object.fromEntries(conversations.map((c) => {
      const bucket = keys.of(idOf(c))
      return [idOf(c), [`${bucket.activity(slotOf(c))} ${c.lastActivityMs}`, `${bucket.locationActivity(c.summary.location_id, slotOf(c))} ${c.lastActivityMs}`].sort()]
    })), context(batch, 'slot sets: each live contact once in its slot\'s set and once in its location\'s, scored by last activity')))
  }

  const BATCHES = 14
  for (let batch = 1; batch <= BATCHES && !tooMany(); batch++) {
    const count = batch === 1 ? 45 : int(20, 30)
    for (let i = 0; i < count; i++) await randomOperation(batch)
    // The first to meet the expired entries: a summary (batch 5), a write (9), a listing (12).
    if (batch === 5 || batch === 12) await expiryPhase(batch, 'read')
    if (batch === 9) await expiryPhase(batch, 'sweep')
    if (batch === 8) await ghostPhase(batch)

    const states = await liveStates(batch)
    const nowMs = Date.now()
    const conversations = states.map((state) => toConversation(state, nowMs, STALL_AFTER_MS))
    // Listing and summary each take expired entries out before they count: half of the batches
    // ask for the summary first, so that each is the first to meet expired entries.
    if (batch % 2 === 1) await compareSummaries(batch, conversations)
    for (let i = 0; i < 28 && !tooMany(); i++) await compareListing(batch, conversations)
    if (batch % 2 === 0) await compareSummaries(batch, conversations)
    await compareIndexes(batch, conversations)
  }
  if (tooMany()) t.fail(`seed ${SEED}: stopped after ${mismatches} mismatches`)

  const finalStates = await liveStates(BATCHES)
  const conversations = finalStates.map((state) => toConversation(state, Date.now(), STALL_AFTER_MS))
  const stalled = conversations.filter((c) => c.summary.is_stalled).length
  t.ok(stalled > 0 && stalled < conversations.length, `both stalled (${stalled}) and active conversations (${conversations.length - stalled}) are listed`)
  t.ok(gone.deleted > 0 && gone.expired > 0 && gone.ghosts > 0, `contacts left by DELETE (${gone.deleted}), by expiry (${gone.expired}) and behind the service's back (${gone.ghosts})`)
  t.comment(`seed ${SEED}: ${operations} operations, ${queries} queries, ${model.size} live contacts at the end`)
})

t.test('a wave of expiries is reaped in short steps before a summary or a page counts', async (t) => {
  const { app } = await build(t, { STATE_TTL_SECONDS: '1' })
  const writes = []
  for (let i = 0; i < 1200; i++) writes.push(putState(app, `w${i}`, botState({ contact_id: `w${i}` })))
  t.same(new Set((await Promise.all(writes)).map((res) => res.statusCode)), new Set([201]))
  await new Promise((resolve) => setTimeout(resolve, 1300))
  const summary = (await app.inject({ url: '/seller/active/summary' })).json()
  t.equal(summary.total, 0)
  const listing = (await app.inject({ url: '/seller/active' })).json()
  t.equal(listing.total_count, 0)
})
