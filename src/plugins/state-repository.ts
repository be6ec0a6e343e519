/**
 * The only code that reads or writes seller state in Redis (state-store.ts says what it offers).
 *
 * A state is a hash (see state-envelope.ts) whose `doc` is the JSON exactly as the client sent
 * it, so a read sends it back without parsing. Writes are Lua scripts (scripts.ts) that check
 * preconditions, apply Idempotency-Keys and keep state and indexes in step, in the contact's
 * bucket (keys.ts): one slot, on a single node or a cluster. Returns domain values (`null` for not
 * found) and knows nothing of HTTP.
 */
import { createHash } from 'node:crypto'
import fp from 'fastify-plugin'
import type { BucketKeys, KeySpace, Place } from '../redis/keys.js'
import type { RedisClient } from '../redis/client.js'
import { defineScripts, deleteState, UNREPLICATED, writeState, type ReplicaAck, type WriteRequest } from '../redis/scripts.js'
import { isWrongType, whileAvailable } from '../redis/availability.js'
import { migrateLegacyIndex } from '../redis/legacy-index.js'
import { decodeEnvelope, ENVELOPE_FIELDS, ENVELOPE_VERSION, UNREADABLE, type StoredState } from '../redis/state-envelope.js'
import { RecentPlaces } from '../redis/recent-places.js'
import type { WriteDeadline } from '../redis/write-deadline.js'
import { metaValue } from '../state/index-entry.js'
import type { PreconditionFailure, RefusedWrite, StateRepository, WriteOptions } from '../state/state-store.js'
import { RedisUnavailableError, ReplicationUnconfirmedError, StateUnreadableError } from '../errors.js'

export interface StateRepositoryOptions {
  stateTtlSeconds: number
  idempotencyTtlSeconds: number
  requirePrecondition: boolean
  /** REDIS_MIN_REPLICAS_ACK and how long a write may wait for those replicas. */
  replicaAck: ReplicaAck
}

// Contacts whose place a replica remembers (about 100 bytes each).
const REMEMBERED_PLACES = 100_000
// A contact moved by other writers between each try of one write: the client retries later.
const MAX_PLACE_TRIES = 3

/** A content hash: identical documents share an ETag, so a retried PUT causes no conflict. */
export function entityTag (json: string): string {
  return createHash('sha1').update(json).digest('base64url')
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

export function createStateRepository (redis: RedisClient, keys: KeySpace, deadline: WriteDeadline, opts: StateRepositoryOptions): StateRepository {
  const ttlMs = opts.stateTtlSeconds * 1000
  const recordTtlMs = opts.idempotencyTtlSeconds * 1000
  const places = new RecentPlaces(REMEMBERED_PLACES)

  function writeRequest ({ preconditions, idempotency }: WriteOptions): WriteRequest {
    return { requirePrecondition: opts.requirePrecondition, fingerprint: idempotency?.fingerprint ?? '', recordTtlMs, ...preconditions }
  }

  /**
   * Runs a write script with the contact's place as this replica believes it (`guess` when it does
   * not know), then again with the place the script names if that was wrong. If the index key
   * holds the prototype's SET (recreated since start-up), migrates it and runs the script again.
   */
  async function runWrite (bucket: BucketKeys, contactId: string, guess: string, script: (was: Place | null, replicaAck: ReplicaAck) => Promise<string[]>): Promise<string[]> {
    let believed = places.get(contactId) ?? guess
    let unconfirmed = false
    // Every try waits for the replicas, but all of them together no longer than one WAIT's time
    // (0 would make WAIT block for ever).
    const waitUntil = Date.now() + opts.replicaAck.timeoutMs
    const replicaAck = (): ReplicaAck => ({ ...opts.replicaAck, timeoutMs: Math.max(1, waitUntil - Date.now()) })
    // The script's own reply, and whether the replicas asked for confirmed it (scripts.ts).
    const attempt = async (): Promise<string[]> => {
      const reply = await whileAvailable(script(believed === '' ? null : bucket.place(believed), replicaAck()))
      unconfirmed = reply[0] === UNREPLICATED
      return unconfirmed ? reply.slice(1) : reply
    }
    for (let tries = 1; ; tries++) {
      let reply = await attempt()
      if (reply[0] === 'index_not_ours') {
        await migrateLegacyIndex(redis, keys)
        reply = await attempt()
        if (reply[0] === 'index_not_ours') throw new Error(`The index key ${bucket.activeIndex} holds a ${String(reply[1])}`)
      }
      // Seen only if Redis answered just in time after all: the write was not done.
      if (reply[0] === 'deadline_passed') throw new RedisUnavailableError()
      if (reply[0] !== 'moved') {
        // Done on the primary, maybe, but not known to be on the replicas asked for.
        if (unconfirmed) throw new ReplicationUnconfirmedError(opts.replicaAck.replicas)
        return reply
      }
      believed = reply[1] ?? ''
      places.set(contactId, believed)
      if (tries === MAX_PLACE_TRIES) throw new RedisUnavailableError()
    }
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
      const key = keys.of(contactId).state(contactId)
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
      const bucket = keys.of(contactId)
      const place = bucket.place(metaValue(entry))
      // Unknown here: the script also accepts a contact that is nowhere yet or already there.
      const reply = await runWrite(bucket, contactId, place.meta, async (was, replicaAck) => await writeState(redis, {
        bucket,
        contactId,
        recordKey: bucket.idempotency(contactId, options.idempotency?.key ?? ''),
        place,
        was,
        deadlineMs: deadline.next(),
        document: json,
        etag,
        ttlMs,
        envelopeVersion: ENVELOPE_VERSION,
        lastActivityMs: entry.lastInteractionMs,
        startedMs: entry.conversationStartedMs,
        rowSource: entry.rowSource,
        request: writeRequest(options),
        replicaAck
      }))
      const refused = refusal(reply)
      if (refused !== null) return refused
      places.set(contactId, place.meta)
      return { kind: reply[0] as 'created' | 'replaced', etag, writtenAtMs: Number(reply[1]), expiresAtMs: Number(reply[2]) }
    },

    async delete (contactId, options) {
      const bucket = keys.of(contactId)
      const reply = await runWrite(bucket, contactId, '', async (was, replicaAck) => await deleteState(redis, {
        bucket,
        contactId,
        recordKey: bucket.idempotency(contactId, options.idempotency?.key ?? ''),
        was,
        deadlineMs: deadline.next(),
        request: writeRequest(options),
        replicaAck
      }))
      const refused = refusal(reply)
      if (refused !== null) return refused
      places.set(contactId, '')
      return { kind: reply[0] as 'deleted' | 'absent' }
    },

    async remembered (contactId, key) {
      const bucket = keys.of(contactId)
      const [fingerprint, status, etag, body] = await whileAvailable(
        redis.hmget(bucket.idempotency(contactId, key), 'fp', 'status', 'etag', 'body'))
      if (fingerprint == null) return null
      const response = { status: Number(status), etag: etag ?? '', body: body ?? '' }
      // No copy of the document in the record (see write-checks.lua): the state's, if still that one.
      if (response.body === '' && response.etag !== '') {
        const [currentTag, doc] = await whileAvailable(redis.hmget(bucket.state(contactId), 'etag', 'doc')).catch((err: unknown) => {
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

export default fp<StateRepositoryOptions>(async function stateRepositoryPlugin (app, opts) {
  defineScripts(app.redis)
  app.decorate('stateRepository', createStateRepository(app.redis, app.keySpace, app.writeDeadline, opts))
}, { name: 'state-repository', dependencies: ['redis'] })
