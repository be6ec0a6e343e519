/**
 * A typed client of seller-state for TypeScript callers: the state routes with their ETags, the
 * dashboard's routes, bearer tokens, and retries while the service answers 503 (Redis briefly
 * away), as its Retry-After says.
 */
import type { Static } from '@sinclair/typebox'
import type { ActivePageSchema, ActiveSummarySchema } from '../../schemas/active.js'
import type { StateDocument } from '../../schemas/state-document.js'

export type { StateDocument } from '../../schemas/state-document.js'

export interface ClientOptions {
  /** e.g. http://127.0.0.1:3000 */
  baseUrl: string
  /** A token of API_KEYS, when the service has them. */
  token?: string
  /** Attempts while the service answers 503; 1 means no retry. */
  attempts?: number
}

/** A stored state and the ETag that identifies this version of it. */
export interface Versioned {
  state: StateDocument & Record<string, unknown>
  etag: string
}

export interface WriteOptions {
  /** Write only if the state still has this ETag (412 otherwise). */
  ifMatch?: string
  /** Create only (412 if the contact has a state). */
  create?: boolean
  /** A repeat within the service's window replays the first answer (the bot's SMS id). */
  idempotencyKey?: string
}

/** An answer the client does not turn into a value: its status and the service's JSON error. */
export class SellerStateError extends Error {
  override name = 'SellerStateError'
  constructor (readonly status: number, readonly body: { code?: string, message?: string }) {
    super(`seller-state answered ${status}: ${body.message ?? ''}`)
  }
}

const MAX_RETRY_WAIT_MS = 5000

export class SellerStateClient {
  private readonly baseUrl: string
  private readonly token: string | undefined
  private readonly attempts: number

  constructor ({ baseUrl, token, attempts = 3 }: ClientOptions) {
    this.baseUrl = baseUrl.replace(/\/$/, '')
    this.token = token
    this.attempts = attempts
  }

  /** The state of a contact, or null when it has none. */
  async get (contactId: string): Promise<Versioned | null> {
    const res = await this.request('GET', `/seller/state/${encodeURIComponent(contactId)}`)
    if (res.status === 404) return null
    return await this.versioned(res, 200)
  }

  async put (contactId: string, state: Record<string, unknown>, options: WriteOptions = {}): Promise<Versioned> {
    const res = await this.request('PUT', `/seller/state/${encodeURIComponent(contactId)}`, {
      body: JSON.stringify(state), contentType: 'application/json', ...options
    })
    return await this.versioned(res, 200, 201)
  }

  /** A JSON Merge Patch: null removes a field, objects merge, anything else replaces. */
  async patch (contactId: string, patch: Record<string, unknown>, options: Omit<WriteOptions, 'create'> = {}): Promise<Versioned> {
    const res = await this.request('PATCH', `/seller/state/${encodeURIComponent(contactId)}`, {
      body: JSON.stringify(patch), contentType: 'application/merge-patch+json', ...options
    })
    return await this.versioned(res, 200)
  }

  async delete (contactId: string, options: Omit<WriteOptions, 'create'> = {}): Promise<void> {
    const res = await this.request('DELETE', `/seller/state/${encodeURIComponent(contactId)}`, options)
    if (res.status !== 204) throw await this.failure(res)
  }

  /** A page of GET /seller/active; the query as the route takes it. */
  async listActive (query: Record<string, string | number | boolean> = {}): Promise<ActivePage> {
    const search = new URLSearchParams(Object.entries(query).map(([name, value]): [string, string] => [name, String(value)]))
    return await this.json(await this.request('GET', `/seller/active?${search.toString()}`))
  }

  async summary (locationId?: string): Promise<ActiveSummary> {
    const query = locationId === undefined ? '' : `?location_id=${encodeURIComponent(locationId)}`
    return await this.json(await this.request('GET', `/seller/active/summary${query}`))
  }

  private async request (method: string, path: string, options: WriteOptions & { body?: string, contentType?: string } = {}): Promise<Response> {
    const headers: Record<string, string> = {}
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`
    if (options.contentType !== undefined) headers['content-type'] = options.contentType
    if (options.ifMatch !== undefined) headers['if-match'] = options.ifMatch
    if (options.create === true) headers['if-none-match'] = '*'
    if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey
    for (let attempt = 1; ; attempt++) {
      const res = await fetch(this.baseUrl + path, { method, headers, body: options.body })
      if (res.status !== 503 || attempt >= this.attempts) return res
      await res.body?.cancel()
      const wait = Math.min(Number(res.headers.get('retry-after') ?? '1') * 1000, MAX_RETRY_WAIT_MS)
      await new Promise((resolve) => setTimeout(resolve, wait))
    }
  }

  private async versioned (res: Response, ...ok: number[]): Promise<Versioned> {
    if (!ok.includes(res.status)) throw await this.failure(res)
    return { state: await res.json() as Versioned['state'], etag: res.headers.get('etag') ?? '' }
  }

  private async json<T> (res: Response): Promise<T> {
    if (res.status !== 200) throw await this.failure(res)
    return await res.json() as T
  }

  private async failure (res: Response): Promise<SellerStateError> {
    return new SellerStateError(res.status, await res.json().catch(() => ({})) as SellerStateError['body'])
  }
}

/** The answers of the dashboard's routes, as their response schemas define them. */
export type ActivePage = Static<typeof ActivePageSchema>
export type ActiveSummary = Static<typeof ActiveSummarySchema>
