/**
 * The only code that reads or writes seller state in Redis.
 *
 * A state is a hash (see state-envelope.ts) whose `doc` is the JSON exactly as the client sent
 * it, so a read sends it back without parsing. The active index is a sorted set scored by each
 * state's expiry, so an entry whose state has expired is out of range for every read and trimmed
 * by the next write. Writes are Lua scripts (scripts.ts) that check preconditions, apply
 * Idempotency-Keys and keep state and index in step. Returns domain values (`null` for not
 * found) and knows nothing of HTTP.
 */
import { createHash } from 'node:crypto'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import { ReplyError } from 'ioredis'
import { createKeySpace, type KeySpace } from '../redis/keys.js'
import { defineScripts } from '../redis/scripts.js'
import { whileAvailable } from '../redis/availability.js'
import { migrateLegacyIndex } from '../redis/legacy-index.js'
import { decodeEnvelope, ENVELOPE_FIELDS, ENVELOPE_VERSION, UNREADABLE, type StoredState } from '../redis/state-envelope.js'
import { metaValue, type IndexEntry } from '../state/index-entry.js'
import type { WriteDeadline } from '../redis/write-deadline.js'
import { RedisUnavailableError, StateUnreadableError } from '../errors.js'

export type { StoredState } from '../redis/state-envelope.js'

export interface Preconditions {
  /** If-Match: null when absent, '*' or the entity tags any of which must be current. */
  ifMatch: '*' | readonly string[] | null
  /** If-None-Match: * (the write must create). */
  ifNoneMatchAny: boolean
}

/** An Idempotency-Key and the fingerprint of the request that carries it. */
export interface IdempotencyRequest {
  key: string
  fingerprint: string
}

/**
 * The response a write with an Idempotency-Key gave first. `body` is '' where the state has been
 * written since: records keep no copy of a document.
 */
export interface RememberedResponse {
  status: number
  etag: string
  body: string
}

export interface WriteOptions {
  preconditions: Preconditions
  idempotency: IdempotencyRequest | null
}

/** Why a precondition failed: none was given but one is required, the state exists, is absent, or has another ETag. */
export type PreconditionFailure = 'required' | 'exists' | 'absent' | 'stale'

/** What every write may answer besides its own success. */
export type RefusedWrite =
  | { kind: 'precondition_failed', failure: PreconditionFailure }
  | { kind: 'replay', response: RememberedResponse }
  | { kind: 'idempotency_mismatch' }

const REFUSALS: ReadonlySet<string> = new Set(['precondition_failed', 'replay', 'idempotency_mismatch'])

export function isRefusal (outcome: { kind: string }): outcome is RefusedWrite {
  return REFUSALS.has(outcome.kind)
}

export type WriteOutcome = { kind: 'created' | 'replaced', etag: string, writtenAtMs: number, expiresAtMs: number } | RefusedWrite

export type DeleteOutcome = { kind: 'deleted' | 'absent' } | RefusedWrite

export interface StateRepository {
  get: (contactId: string) => Promise<StoredState | null>
  /** Writes the document and puts it where `entry` says in the listing indexes, in one step. */
  put: (contactId: string, json: string, entry: IndexEntry, options: WriteOptions) => Promise<WriteOutcome>
  delete: (contactId: string, options: WriteOptions) => Promise<DeleteOutcome>
  /** The response remembered for an Idempotency-Key, with the fingerprint of its request. */
  remembered: (contactId: string, key: string) => Promise<{ fingerprint: string, response: RememberedResponse } | null>
}

export interface StateRepositoryOptions {
  keyPrefix: string
  stateTtlSeconds: number
  idempotencyTtlSeconds: number
  requirePrecondition: boolean
}

/** A content hash: identical documents share an ETag, so a retried PUT causes no conflict. */
function entityTag (json: string): string {
  return createHash('sha1').update(json).digest('base64url')
}

export function isWrongType (err: unknown): boolean {
  return err instanceof ReplyError && (err as Error).message.startsWith('WRONGTYPE')
}

/** Decodes the reply of a write script into the refusals every write shares; null otherwise. */
function refusal (reply: string[]): RefusedWrite | null {
  switch (reply[0]) {
    case 'precondition_failed': return { kind: 'precondition_failed', failure: reply[1] as PreconditionFailure }
    case 'idempotency_mismatch': return { kind: 'idempotency_mismatch' }
    case 'replay': return { kind: 'replay', response: { status: Number(reply[1]), etag: reply[2] ?? '', body: reply[3] ?? '' } }
    default: return null
  }
}

export function createStateRepository (redis: Redis, keys: KeySpace, deadline: WriteDeadline, opts: Omit<StateRepositoryOptions, 'keyPrefix'>): StateRepository {
  const ttlMs = String(opts.stateTtlSeconds * 1000)
  const idempotencyTtlMs = String(opts.idempotencyTtlSeconds * 1000)
  const requirePrecondition = opts.requirePrecondition ? '1' : '0'

  /** The ARGVs every write script ends with (see WRITE_PRELUDE). */
  function writeArgs ({ preconditions: { ifMatch, ifNoneMatchAny }, idempotency }: WriteOptions): string[] {
    const head = [requirePrecondition, idempotency?.fingerprint ?? '', idempotencyTtlMs, ifNoneMatchAny ? '*' : '']
    if (ifMatch === null) return [...head, 'none']
    if (ifMatch === '*') return [...head, 'any']
    return [...head, 'tags', ...ifMatch]
  }

  function idempotencyKey (contactId: string, options: WriteOptions): string {
    return keys.idempotency(contactId, options.idempotency?.key ?? '')
  }

  /**
   * Runs a write script; if the index key holds the prototype's SET (recreated since start-up),
   * migrates it and runs the script once more.
   */
  async function runWrite (script: () => Promise<string[]>): Promise<string[]> {
    let reply = await whileAvailable(script())
    if (reply[0] === 'index_not_ours') {
      await migrateLegacyIndex(redis, keys)
      reply = await whileAvailable(script())
      if (reply[0] === 'index_not_ours') throw new Error(`The index key ${keys.activeIndex} holds a ${String(reply[1])}`)
    }
    // Seen only if Redis answered just in time after all: the write was not done.
    if (reply[0] === 'deadline_passed') throw new RedisUnavailableError()
    return reply
  }

  /**
   * After a read that found none of our fields (no key, or a hash that is not ours): the fields
   * again and EXISTS, in one step. Asked apart, a state created in between would pass for a
   * value that is not ours.
   */
  async function readWithExistence (key: string): Promise<StoredState | null | typeof UNREADABLE> {
    const [[error, fields], [, exists]] = await whileAvailable(
      redis.multi().hmget(key, ...ENVELOPE_FIELDS).exists(key).exec()) as [[Error | null, Array<string | null>], [Error | null, number]]
    // HMGET fails inside EXEC only on a value that is not a hash (WRONGTYPE).
    if (error !== null) return UNREADABLE
    const stored = decodeEnvelope(fields)
    return stored === null && exists === 1 ? UNREADABLE : stored
  }

  return {
    async get (contactId) {
      const key = keys.state(contactId)
      let stored: StoredState | null | typeof UNREADABLE
      try {
        stored = decodeEnvelope(await whileAvailable(redis.hmget(key, ...ENVELOPE_FIELDS)))
      } catch (err) {
        if (!isWrongType(err)) throw err
        stored = UNREADABLE
      }
      if (stored === null) stored = await readWithExistence(key)
      if (stored === UNREADABLE) throw new StateUnreadableError(contactId)
      return stored
    },

    async put (contactId, json, entry, options) {
      const etag = entityTag(json)
      const reply = await runWrite(() => redis.writeState(
        keys.state(contactId), keys.activeIndex, idempotencyKey(contactId, options), keys.indexMeta, keys.startedIndex, keys.events,
        String(deadline.next()), contactId, json, etag, ttlMs, ENVELOPE_VERSION,
        keys.activityPrefix, keys.locationPrefix, metaValue(entry), String(entry.lastInteractionMs ?? ''), String(entry.conversationStartedMs), entry.rowSource,
        ...writeArgs(options)
      ))
      return refusal(reply) ?? { kind: reply[0] as 'created' | 'replaced', etag, writtenAtMs: Number(reply[1]), expiresAtMs: Number(reply[2]) }
    },

    async delete (contactId, options) {
      const reply = await runWrite(() => redis.deleteState(
        keys.state(contactId), keys.activeIndex, idempotencyKey(contactId, options), keys.indexMeta, keys.startedIndex, keys.events,
        String(deadline.next()), contactId, keys.activityPrefix, keys.locationPrefix, ...writeArgs(options)
      ))
      return refusal(reply) ?? { kind: reply[0] as 'deleted' | 'absent' }
    },

    async remembered (contactId, key) {
      const [fingerprint, status, etag, body] = await whileAvailable(
        redis.hmget(keys.idempotency(contactId, key), 'fp', 'status', 'etag', 'body'))
      if (fingerprint == null) return null
      const response = { status: Number(status), etag: etag ?? '', body: body ?? '' }
      // No copy of the document in the record (see WRITE_PRELUDE): the state's, if still that one.
      if (response.body === '' && response.etag !== '') {
        const [currentTag, doc] = await whileAvailable(redis.hmget(keys.state(contactId), 'etag', 'doc')).catch((err: unknown) => {
          if (isWrongType(err)) return [null, null]
          throw err
        })
        if (currentTag === response.etag) response.body = doc ?? ''
      }
      return { fingerprint, response }
    }
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    stateRepository: StateRepository
  }
}

export default fp<StateRepositoryOptions>(async function stateRepositoryPlugin (app, { keyPrefix, ...opts }) {
  defineScripts(app.redis)
  app.decorate('stateRepository', createStateRepository(app.redis, createKeySpace(keyPrefix), app.writeDeadline, opts))
}, { name: 'state-repository', dependencies: ['redis'] })
