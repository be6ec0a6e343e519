/**
 * The Lua scripts (./lua, one file each, KEYS and ARGV in its header), each behind one typed
 * function that takes named arguments and lays them out in the order of that header: no caller
 * counts positions. Every key a script touches is given to it, so Redis Cluster can check it
 * belongs to the slot before the script runs (TRYAGAIN, nothing written) instead of failing
 * halfway.
 */
import type { BucketKeys, Place } from './keys.js'
import { isCluster, refreshSlots, type RedisClient } from './client.js'
import { luaSource } from './lua-source.js'
import { EVENTS_MAX_AGE_MS, EVENTS_MAX_LENGTH } from './change-stream.js'

const SCRIPTS = ['write-state', 'delete-state', 'unindex-missing', 'reindex-state', 'list-page', 'count-slots',
  'migrate-legacy-begin', 'migrate-legacy-chunk', 'read-changes'] as const
type ScriptName = typeof SCRIPTS[number]

type Runner = Record<ScriptName, (numberOfKeys: number, ...keysThenArgs: Array<string | number>) => Promise<unknown>>

/** Registers the scripts on a connection (ioredis sends EVALSHA and loads a script Redis lacks). */
export function defineScripts (redis: RedisClient): void {
  for (const name of SCRIPTS) {
    if (!(name in redis)) redis.defineCommand(name, { lua: luaSource(name) })
  }
}

async function run<T> (redis: RedisClient, name: ScriptName, keys: string[], args: Array<string | number>): Promise<T> {
  return await (redis as unknown as Runner)[name](keys.length, ...keys, ...args) as T
}

/**
 * REDIS_MIN_REPLICAS_ACK: how many replicas must hold a write before it counts as done, and how
 * long WAIT may wait for them (within the request's deadline).
 */
export interface ReplicaAck {
  replicas: number
  timeoutMs: number
}

/**
 * Put before a write script's reply when fewer replicas than asked confirmed in time: the caller
 * still reads the reply (a script that wrote nothing, as 'moved', is tried again).
 */
export const UNREPLICATED = 'unreplicated'

/**
 * A write script, then, when replicas must confirm it, WAIT in the same pipeline: on the same
 * connection, so to the primary that ran the script (on a cluster, the script's keys route the
 * pipeline; WAIT has none). WAIT follows every answer, a replay or a refusal included: what the
 * client is told of must be on the replicas too. With no replica asked, one plain round trip.
 */
async function runWrite (redis: RedisClient, name: ScriptName, keys: string[], args: Array<string | number>, ack: ReplicaAck = { replicas: 0, timeoutMs: 0 }): Promise<string[]> {
  if (ack.replicas === 0) return await run(redis, name, keys, args)
  for (let attempt = 1; ; attempt++) {
    const pipeline = redis.pipeline()
    ;(pipeline as unknown as Runner)[name](keys.length, ...keys, ...args)
    pipeline.wait(ack.replicas, ack.timeoutMs)
    const [[scriptError, reply], [waitError, confirmed]] = await pipeline.exec() as Array<[Error | null, unknown]> as [[Error | null, string[]], [Error | null, number]]
    // ioredis redirects a pipeline only when all of it was refused: a script MOVED to another
    // master (a failover) ran nowhere. Learn the new map and send it there, once.
    if (scriptError !== null && attempt === 1 && isCluster(redis) && scriptError.message.startsWith('MOVED ')) {
      await refreshSlots(redis)
      continue
    }
    if (scriptError !== null) throw scriptError
    if (waitError !== null) throw waitError
    return confirmed < ack.replicas ? [UNREPLICATED, ...reply] : reply
  }
}

const stream = [EVENTS_MAX_LENGTH, EVENTS_MAX_AGE_MS]

/** The part of a write the HTTP request decides (see write-checks.lua). */
export interface WriteRequest {
  requirePrecondition: boolean
  /** Fingerprint of the request that carries an Idempotency-Key; '' for none. */
  fingerprint: string
  recordTtlMs: number
  ifNoneMatchAny: boolean
  /** If-Match: null when absent, '*' or the entity tags any of which must be current. */
  ifMatch: '*' | readonly string[] | null
}

function requestArgs (request: WriteRequest): string[] {
  const head = [request.requirePrecondition ? '1' : '0', request.fingerprint, String(request.recordTtlMs), request.ifNoneMatchAny ? '*' : '']
  if (request.ifMatch === null) return [...head, 'none']
  if (request.ifMatch === '*') return [...head, 'any']
  return [...head, 'tags', ...request.ifMatch]
}

/** The keys of a write script's first six positions. */
function writeKeys (bucket: BucketKeys, contactId: string, recordKey: string): string[] {
  return [bucket.state(contactId), bucket.activeIndex, recordKey, bucket.indexMeta, bucket.startedIndex, bucket.events]
}

export interface WriteStateInput {
  bucket: BucketKeys
  contactId: string
  /** The Idempotency-Key's record, or any key of the contact's when there is none. */
  recordKey: string
  /** Where the state goes, and where the caller believes it is now (null: nowhere). */
  place: Place
  was: Place | null
  deadlineMs: number
  document: string
  etag: string
  ttlMs: number
  envelopeVersion: string
  /** null: the time of the write. */
  lastActivityMs: number | null
  startedMs: number
  rowSource: string
  request: WriteRequest
  /** Absent: the primary's answer is enough (tools that load data). */
  replicaAck?: ReplicaAck
}

export async function writeState (redis: RedisClient, input: WriteStateInput): Promise<string[]> {
  const { bucket, place, was } = input
  return await runWrite(redis, 'write-state',
    [...writeKeys(bucket, input.contactId, input.recordKey), place.activity, place.location, (was ?? place).activity, (was ?? place).location],
    [input.deadlineMs, input.contactId, input.document, input.etag, input.ttlMs, input.envelopeVersion, place.meta, was?.meta ?? '',
      input.lastActivityMs ?? '', input.startedMs, input.rowSource, ...stream, ...requestArgs(input.request)], input.replicaAck)
}

export interface DeleteStateInput {
  bucket: BucketKeys
  contactId: string
  recordKey: string
  /** Where the caller believes the contact is (null: nowhere). */
  was: Place | null
  deadlineMs: number
  request: WriteRequest
  /** Absent: the primary's answer is enough (tools that load data). */
  replicaAck?: ReplicaAck
}

export async function deleteState (redis: RedisClient, input: DeleteStateInput): Promise<string[]> {
  const { bucket, was } = input
  // Without a place, the slot-set positions hold keys of the bucket the script leaves alone.
  const [activity, location] = was === null ? [bucket.indexMeta, bucket.indexMeta] : [was.activity, was.location]
  return await runWrite(redis, 'delete-state', [...writeKeys(bucket, input.contactId, input.recordKey), activity, location],
    [input.deadlineMs, input.contactId, was?.meta ?? '', ...stream, ...requestArgs(input.request)], input.replicaAck)
}

/** A contact as the caller read it: its place in the indexes, or null for none. */
export interface ReadPlacement {
  contactId: string
  place: Place | null
}

/** Takes out of one bucket's indexes those of the contacts whose state is gone; returns how many. */
export async function unindexMissing (redis: RedisClient, bucket: BucketKeys, contacts: ReadPlacement[]): Promise<number> {
  const keys = [bucket.activeIndex, bucket.indexMeta, bucket.startedIndex, bucket.events]
  const args: Array<string | number> = [...stream]
  for (const { contactId, place } of contacts) {
    keys.push(bucket.state(contactId), place?.activity ?? bucket.indexMeta, place?.location ?? bucket.indexMeta)
    args.push(contactId, place?.meta ?? '')
  }
  return await run(redis, 'unindex-missing', keys, args)
}

export interface ReindexStateInput {
  bucket: BucketKeys
  contactId: string
  /** The entity tag read: the state is indexed only if it still has it. */
  etag: string
  place: Place
  was: Place | null
  lastActivityMs: number | null
  startedMs: number
}

/** Indexes a state its writer did not; false when it changed since it was read. */
export async function reindexState (redis: RedisClient, input: ReindexStateInput): Promise<boolean> {
  const { bucket, place, was } = input
  const reply = await run<number>(redis, 'reindex-state',
    [bucket.state(input.contactId), bucket.activeIndex, bucket.indexMeta, bucket.startedIndex, place.activity, place.location,
      (was ?? place).activity, (was ?? place).location],
    [input.contactId, input.etag, place.meta, was?.meta ?? '', input.lastActivityMs ?? '', input.startedMs])
  return reply === 1
}

/** A sorted set of a listing plan with its score range (Redis bounds: '(' exclusive, '-inf', '+inf'). */
export interface SetRange {
  key: string
  min: string
  max: string
}

/** Where a listing continues: the group of the plan, the score as Redis wrote it, the contact id. */
export interface ListPosition {
  group: number
  score: string
  contactId: string
}

export interface ListPageInput {
  bucket: BucketKeys
  groups: SetRange[][]
  within: 'asc' | 'desc'
  offset: number
  limit: number
  after: ListPosition | null
  maxWalk: number
}

/** A page of one bucket: its entries in order, or null when the offset walks too far. */
export interface BucketPage {
  total: number
  unindexed: number
  entries: ListPosition[]
}

export async function listPage (redis: RedisClient, input: ListPageInput): Promise<BucketPage | null> {
  const { after } = input
  const reply = await run<string[]>(redis, 'list-page',
    [input.bucket.activeIndex, input.bucket.indexMeta, ...input.groups.flat().map((set) => set.key)],
    [input.offset, input.limit, input.within, after?.group ?? 0, after?.score ?? '0', after?.contactId ?? '', input.maxWalk,
      input.groups.length, ...input.groups.flatMap((sets) => [sets.length, ...sets.flatMap((set) => [set.min, set.max])])])
  if (Number(reply[0]) < 0) return null
  const entries: ListPosition[] = []
  for (let i = 2; i < reply.length; i += 3) {
    entries.push({ contactId: String(reply[i]), score: String(reply[i + 1]), group: Number(reply[i + 2]) })
  }
  return { total: Number(reply[0]), unindexed: Number(reply[1]), entries }
}

/** A slot set to count, and whether its contacts may be stalled (unqualified). */
export interface CountedSet {
  key: string
  unqualified: boolean
}

/** Per set its size and stalled count, and the bucket's unindexed count. */
export async function countSlots (redis: RedisClient, bucket: BucketKeys, sets: CountedSet[], stalledBefore: number): Promise<{ sizes: Array<{ size: number, stalled: number }>, unindexed: number }> {
  const reply = await run<number[]>(redis, 'count-slots', [bucket.activeIndex, bucket.indexMeta, ...sets.map((set) => set.key)],
    [`(${stalledBefore}`, ...sets.map((set) => set.unqualified ? '1' : '0')])
  return {
    sizes: sets.map((_, i) => ({ size: Number(reply[2 * i]), stalled: Number(reply[2 * i + 1]) })),
    unindexed: Number(reply[reply.length - 1])
  }
}

export interface LegacyMigrationKeys {
  legacy: string
  migration: string
  lock: string
}

/** Moves the prototype's SET aside and takes the lock; the members to migrate, or -1. */
export async function migrateLegacyBegin (redis: RedisClient, keys: LegacyMigrationKeys, holder: string, lockTtlMs: number): Promise<number> {
  return await run(redis, 'migrate-legacy-begin', [keys.legacy, keys.migration, keys.lock], [holder, lockTtlMs])
}

/** Indexes a chunk of the prototype's contacts; how many it indexed. */
export async function migrateLegacyChunk (redis: RedisClient, bucket: BucketKeys, migration: string, contactIds: string[]): Promise<number> {
  return await run(redis, 'migrate-legacy-chunk', [migration, bucket.activeIndex, ...contactIds.map(bucket.state)], contactIds)
}

export interface ReadChangesInput {
  /** The bucket's change stream. */
  stream: string
  /** XRANGE's start ('(' exclusive). */
  start: string
  /** Entries read at most; 0 reads the clock only. */
  count: number
}

/** Redis's clock in ms and the raw entries from `start` on, read together (read-changes.lua). */
export async function readChanges (redis: RedisClient, input: ReadChangesInput): Promise<{ clockMs: number, entries: Array<[string, string[]]> }> {
  const [clockMs, entries] = await run<[number, Array<[string, string[]]>]>(redis, 'read-changes', [input.stream], [input.start, input.count])
  return { clockMs, entries }
}
