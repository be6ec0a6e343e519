/**
 * The only code that reads or writes seller state in Redis.
 *
 * A state is a hash `{doc, etag, at, v}`: `doc` is the JSON exactly as the client sent it (so a
 * read sends it back without parsing), `etag` its content hash, `at` the time of the write (ms)
 * and `v` the layout version. The active index is a sorted set scored by each state's expiry, so
 * an entry whose state has expired is out of range for every read and trimmed on the next write.
 * Returns domain values (`null` for not found) and knows nothing of HTTP.
 */
import { createHash } from 'node:crypto'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import { ReplyError } from 'ioredis'
import { createKeySpace, type KeySpace } from '../redis/keys.js'
import { defineScripts, ENVELOPE_VERSION } from '../redis/scripts.js'
import { isOutage, whileAvailable } from '../redis/availability.js'
import { RedisUnavailableError, StateUnreadableError } from '../errors.js'

export interface StoredState {
  /** The document as stored, byte for byte. */
  json: string
  etag: string
  writtenAtMs: number
}

export interface ActiveState extends StoredState {
  contactId: string
  /** When the state expires unless written again; null for a migrated state without a TTL. */
  expiresAtMs: number | null
}

export interface ActiveScan {
  states: ActiveState[]
  /** Contacts in the index whose stored value is not a state of ours. */
  unreadable: string[]
}

export interface Preconditions {
  /** If-Match: null when absent, '*' or the entity tags any of which must be current. */
  ifMatch: '*' | readonly string[] | null
  /** If-None-Match: * (the write must create). */
  ifNoneMatchAny: boolean
}

export const UNCONDITIONAL: Preconditions = { ifMatch: null, ifNoneMatchAny: false }

/** Why a precondition failed: the state exists, is absent, or has another ETag. */
export type PreconditionFailure = 'exists' | 'absent' | 'stale'

export type WriteOutcome =
  | { kind: 'created' | 'replaced', etag: string, writtenAtMs: number }
  | { kind: 'precondition_failed', failure: PreconditionFailure }

export type DeleteOutcome =
  | { kind: 'deleted' | 'absent' }
  | { kind: 'precondition_failed', failure: PreconditionFailure }

export interface StateRepository {
  get: (contactId: string) => Promise<StoredState | null>
  put: (contactId: string, json: string, preconditions: Preconditions) => Promise<WriteOutcome>
  delete: (contactId: string, preconditions: Preconditions) => Promise<DeleteOutcome>
  listActive: () => Promise<ActiveScan>
  /** Converts the Python prototype's plain SET index; null when there was none. */
  migrateLegacyIndex: () => Promise<{ found: number, moved: number } | null>
}

export interface StateRepositoryOptions {
  keyPrefix: string
  stateTtlSeconds: number
}

const STORED_FIELDS = ['doc', 'etag', 'at', 'v'] as const

function preconditionArgs ({ ifMatch, ifNoneMatchAny }: Preconditions): string[] {
  const ifNoneMatch = ifNoneMatchAny ? '*' : ''
  if (ifMatch === null) return [ifNoneMatch, '']
  if (ifMatch === '*') return [ifNoneMatch, '*']
  // No tag at all can never match: a placeholder no etag equals keeps the list non-empty.
  return [ifNoneMatch, ...(ifMatch.length > 0 ? ifMatch : ['\u0000'])]
}

/** A content hash: identical documents share an ETag, so a retried PUT causes no conflict. */
function entityTag (json: string): string {
  return createHash('sha1').update(json).digest('base64url')
}

const UNREADABLE = Symbol('unreadable')

/** Decodes the fields of a state hash: null for a missing key, UNREADABLE for a foreign value. */
function decode (fields: Array<string | null>): StoredState | null | typeof UNREADABLE {
  const [json, etag, at, version] = fields
  if (json === null && etag === null && at === null && version === null) return null
  if (json == null || etag == null || at == null || version !== ENVELOPE_VERSION) return UNREADABLE
  return { json, etag, writtenAtMs: Number(at) }
}

function isWrongType (err: unknown): boolean {
  return err instanceof ReplyError && (err as Error).message.startsWith('WRONGTYPE')
}

export function createStateRepository (redis: Redis, keys: KeySpace, stateTtlSeconds: number): StateRepository {
  const ttlMs = String(stateTtlSeconds * 1000)

  async function migrateLegacyIndex (): Promise<{ found: number, moved: number } | null> {
    const [found, moved] = await whileAvailable(redis.migrateLegacyIndex(keys.activeIndex, keys.statePrefix))
    return found < 0 ? null : { found, moved }
  }

  /**
   * Runs a write script; if the index key holds the prototype's SET (recreated since start-up),
   * migrates it and runs the script once more.
   */
  async function runWrite<T extends [string, string?]> (script: () => Promise<T>): Promise<T> {
    let reply = await whileAvailable(script())
    if (reply[0] === 'index_not_ours') {
      await migrateLegacyIndex()
      reply = await whileAvailable(script())
      if (reply[0] === 'index_not_ours') throw new Error(`The index key ${keys.activeIndex} holds a ${String(reply[1])}`)
    }
    return reply
  }

  return {
    async get (contactId) {
      let fields: Array<string | null>
      try {
        fields = await whileAvailable(redis.hmget(keys.state(contactId), ...STORED_FIELDS))
      } catch (err) {
        if (isWrongType(err)) throw new StateUnreadableError(contactId)
        throw err
      }
      const stored = decode(fields)
      if (stored === UNREADABLE) throw new StateUnreadableError(contactId)
      return stored
    },

    async put (contactId, json, preconditions) {
      const etag = entityTag(json)
      const [kind, detail] = await runWrite(() => redis.writeState(
        keys.state(contactId), keys.activeIndex,
        contactId, json, etag, ttlMs, ENVELOPE_VERSION, ...preconditionArgs(preconditions)
      ))
      if (kind === 'precondition_failed') return { kind, failure: detail as PreconditionFailure }
      return { kind: kind as 'created' | 'replaced', etag, writtenAtMs: Number(detail) }
    },

    async delete (contactId, preconditions) {
      const [kind, failure] = await runWrite(() => redis.deleteState(
        keys.state(contactId), keys.activeIndex, contactId, ...preconditionArgs(preconditions)
      ))
      if (kind === 'precondition_failed') return { kind, failure: failure as PreconditionFailure }
      return { kind: kind as 'deleted' | 'absent' }
    },

    async listActive () {
      const now = Date.now()
      const trimExpired = async () => await whileAvailable(redis.zremrangebyscore(keys.activeIndex, '-inf', now))
      await trimExpired().catch(async (err: unknown) => {
        if (!isWrongType(err)) throw err
        await migrateLegacyIndex()
        await trimExpired()
      })
      const flat = await whileAvailable(redis.zrange(keys.activeIndex, `(${now}`, '+inf', 'BYSCORE', 'WITHSCORES'))
      const ids: string[] = []
      const expiries: Array<number | null> = []
      for (let i = 0; i < flat.length; i += 2) {
        ids.push(flat[i] as string)
        expiries.push(flat[i + 1] === 'inf' ? null : Number(flat[i + 1]))
      }

      const pipeline = redis.pipeline()
      for (const id of ids) pipeline.hmget(keys.state(id), ...STORED_FIELDS)
      const replies = (await whileAvailable(pipeline.exec())) ?? []

      const scan: ActiveScan = { states: [], unreadable: [] }
      replies.forEach(([err, fields], i) => {
        const contactId = ids[i] as string
        if (err && !isWrongType(err)) throw isOutage(err) ? new RedisUnavailableError({ cause: err }) : err
        const stored = err ? UNREADABLE : decode(fields as Array<string | null>)
        if (stored === UNREADABLE) scan.unreadable.push(contactId)
        // null: expired between the two reads, so no longer active.
        else if (stored !== null) scan.states.push({ ...stored, contactId, expiresAtMs: expiries[i] ?? null })
      })
      return scan
    },

    migrateLegacyIndex
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    stateRepository: StateRepository
  }
}

export default fp<StateRepositoryOptions>(async function stateRepositoryPlugin (app, opts) {
  defineScripts(app.redis)
  app.decorate('stateRepository', createStateRepository(app.redis, createKeySpace(opts.keyPrefix), opts.stateTtlSeconds))
}, { name: 'state-repository', dependencies: ['redis'] })
