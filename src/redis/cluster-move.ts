/**
 * Copies a single Redis's data set into a Redis Cluster (scripts/move-to-cluster.ts): every state
 * hash and idempotency record exactly as stored, with its remaining TTL, into its bucket; then each
 * state is indexed by the script the sweep uses (reindex-state.lua), never by hand.
 *
 * A key travels by DUMP and RESTORE: RESTORE creates it with its TTL in one step and never
 * replaces a key that exists (BUSYKEY), so a copy is never half made and the cluster's own version
 * of a contact is never overwritten. Resuming is running again: a state already there with the same
 * ETag is skipped, or indexed if the run that copied it died before indexing it.
 */
import { ReplyError, type Cluster, type Redis } from 'ioredis'
import type { KeySpace } from './keys.js'
import { escapeGlob, type EntryOf } from './index-sweep.js'
import { defineScripts, reindexState } from './scripts.js'
import { decodeEnvelope, ENVELOPE_FIELDS, UNREADABLE } from './state-envelope.js'
import { metaValue, type IndexEntry } from '../state/index-entry.js'
import { ID_PATTERN } from '../../schemas/common.js'

export interface MoveCounts {
  states: number
  records: number
  /** States and records the cluster already held, the same. */
  skipped: number
  /** States the cluster holds in another version: left as they are. */
  conflicts: Conflict[]
  /** String values under the state prefix: the Python prototype's pickles, not copied. */
  prototypeStates: number
  /** States copied but not indexed: their document is not one the service can read. */
  unindexed: number
}

export interface Conflict {
  contactId: string
  /** Write times of the two versions (null: not ours to read). */
  clusterWrittenAtMs: number | null
  sourceWrittenAtMs: number | null
}

export interface MoveOptions {
  source: Redis
  target: Cluster
  /** The source's key space (single node) and the cluster's (tagged, its bucket count). */
  from: KeySpace
  to: KeySpace
  entryOf: EntryOf
  /** Keys per SCAN step, read in one transaction. */
  batch: number
  /** Called after every batch with the keys handled so far. */
  onProgress: (handled: number) => void
}

const CONTACT_ID = new RegExp(ID_PATTERN)
const isBusyKey = (err: Error): boolean => err instanceof ReplyError && err.message.startsWith('BUSYKEY')
const isWrongType = (err: Error): boolean => err instanceof ReplyError && err.message.startsWith('WRONGTYPE')

async function * scan (redis: Redis, prefix: string, batch: number): AsyncGenerator<string[]> {
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', batch)
    if (keys.length > 0) yield keys
    cursor = next
  } while (cursor !== '0')
}

/** How many state and record keys the source holds, for the progress line. */
export async function countKeys (source: Redis, from: KeySpace, batch: number): Promise<number> {
  let total = 0
  const bucket = from.bucket(0)
  for (const prefix of [bucket.statePrefix, bucket.idempotencyPrefix]) {
    for await (const keys of scan(source, prefix, batch)) total += keys.length
  }
  return total
}

/** A key as the source holds it: its value serialized, its TTL in ms (-1 none, -2 gone). */
interface Copy {
  dump: Buffer | null
  pttl: number
}

/** RESTORE's TTL argument: 0 keeps no expiry. */
const restoreTtl = (pttl: number): number => pttl === -1 ? 0 : pttl

/** Groups items by the bucket of their contact in the cluster. */
function byBucket<T extends { contactId: string }> (to: KeySpace, items: T[]): Map<number, T[]> {
  const groups = new Map<number, T[]>()
  for (const item of items) {
    const index = to.bucketOf(item.contactId)
    groups.set(index, [...groups.get(index) ?? [], item])
  }
  return groups
}

/** Replies of a pipeline or transaction; a failed command throws, unless `tolerate` says it may fail. */
function replies (results: Array<[Error | null, unknown]> | null, tolerate: (err: Error) => boolean = () => false): unknown[] {
  if (results === null) throw new Error('a transaction on the source was discarded')
  return results.map(([err, value]) => {
    if (err !== null && !tolerate(err)) throw err
    return err ?? value
  })
}

interface SourceState extends Copy {
  contactId: string
  /** The etag field as stored (a hash not ours may lack it). */
  etag: string | null
  writtenAtMs: number | null
  /** Where it goes in the indexes; null for a value the service cannot read (copied, not indexed). */
  entry: IndexEntry | null
}

function sourceState (contactId: string, fields: Array<string | null>, copy: Copy, entryOf: EntryOf): SourceState {
  const stored = decodeEnvelope(fields)
  const readable = stored !== null && stored !== UNREADABLE
  return {
    contactId,
    ...copy,
    etag: fields[ENVELOPE_FIELDS.indexOf('etag')] ?? null,
    writtenAtMs: readable ? stored.writtenAtMs : null,
    entry: readable ? entryOf(stored.json) : null
  }
}

async function moveStates (options: MoveOptions, keys: string[], counts: MoveCounts): Promise<void> {
  const { source, target, from, to, entryOf } = options
  const statePrefix = from.bucket(0).statePrefix
  const ids = keys.map((key) => key.slice(statePrefix.length)).filter((id) => CONTACT_ID.test(id))
  // One transaction: each state's fields, TTL and value as of one instant.
  const read = source.multi()
  for (const id of ids) read.type(statePrefix + id).hmget(statePrefix + id, ...ENVELOPE_FIELDS).pttl(statePrefix + id).dumpBuffer(statePrefix + id)
  const reply = replies(await read.exec(), isWrongType)
  const states: SourceState[] = []
  for (const [i, contactId] of ids.entries()) {
    const [type, fields, pttl, dump] = reply.slice(4 * i, 4 * i + 4) as [string, Array<string | null>, number, Buffer | null]
    if (type === 'string') counts.prototypeStates++
    if (type === 'hash' && pttl !== -2 && dump !== null) states.push(sourceState(contactId, fields, { pttl, dump }, entryOf))
  }

  await Promise.all([...byBucket(to, states)].map(async ([index, group]) => {
    const bucket = to.bucket(index)
    const look = target.pipeline()
    for (const { contactId } of group) look.exists(bucket.state(contactId)).hmget(bucket.state(contactId), 'etag', 'at').hget(bucket.indexMeta, contactId)
    const there = replies(await look.exec(), isWrongType)
    const toCopy: SourceState[] = []
    const toIndex: SourceState[] = []
    for (const [i, state] of group.entries()) {
      const [exists, fields, meta] = there.slice(3 * i, 3 * i + 3)
      // A value that is not a hash answers HMGET with an error: another version, whatever it is.
      const [etag, at] = fields instanceof Error ? [undefined, null] : fields as Array<string | null>
      if (exists === 0) toCopy.push(state)
      else if (etag === state.etag) {
        // Copied by an earlier run, which may have died before indexing it (both without an etag: a hash not ours, copied as it is).
        if (meta === null && state.entry !== null) {
          counts.states++
          toIndex.push(state)
        } else counts.skipped++
      } else {
        counts.conflicts.push({ contactId: state.contactId, clusterWrittenAtMs: at === null ? null : Number(at), sourceWrittenAtMs: state.writtenAtMs })
      }
    }

    const write = target.pipeline()
    for (const { contactId, pttl, dump } of toCopy) write.restore(bucket.state(contactId), restoreTtl(pttl), dump as Buffer)
    const restored = toCopy.length === 0 ? [] : replies(await write.exec(), isBusyKey)
    for (const [i, state] of toCopy.entries()) {
      // Written in the cluster between our look and our copy: the cluster's version stays.
      if (restored[i] instanceof Error) {
        counts.conflicts.push({ contactId: state.contactId, clusterWrittenAtMs: null, sourceWrittenAtMs: state.writtenAtMs })
        continue
      }
      counts.states++
      if (state.entry === null) counts.unindexed++
      else toIndex.push(state)
    }
    await Promise.all(toIndex.map(async ({ contactId, etag, entry }) => {
      if (entry === null || etag === null) return
      await reindexState(target, {
        bucket,
        contactId,
        etag,
        place: bucket.place(metaValue(entry)),
        was: null,
        lastActivityMs: entry.lastInteractionMs,
        startedMs: entry.conversationStartedMs
      })
    }))
  }))
}

interface SourceRecord extends Copy {
  contactId: string
  key: string
}

async function moveRecords (options: MoveOptions, keys: string[], counts: MoveCounts): Promise<void> {
  const { source, target, from, to } = options
  const prefix = from.bucket(0).idempotencyPrefix
  const read = source.multi()
  for (const key of keys) read.pttl(key).dumpBuffer(key)
  const reply = replies(await read.exec())
  const records: SourceRecord[] = []
  for (const [i, key] of keys.entries()) {
    const rest = key.slice(prefix.length)
    // Contact ids hold no ':', so the first one ends the id; the Idempotency-Key follows.
    const colon = rest.indexOf(':')
    const [pttl, dump] = [reply[2 * i] as number, reply[2 * i + 1] as Buffer | null]
    const contactId = rest.slice(0, colon)
    if (colon > 0 && CONTACT_ID.test(contactId) && pttl !== -2 && dump !== null) records.push({ contactId, key: rest.slice(colon + 1), pttl, dump })
  }
  await Promise.all([...byBucket(to, records)].map(async ([index, group]) => {
    const bucket = to.bucket(index)
    const write = target.pipeline()
    for (const { contactId, key, pttl, dump } of group) write.restore(bucket.idempotency(contactId, key), restoreTtl(pttl), dump as Buffer)
    for (const result of replies(await write.exec(), isBusyKey)) {
      if (result instanceof Error) counts.skipped++
      else counts.records++
    }
  }))
}

export async function moveToCluster (options: MoveOptions): Promise<MoveCounts> {
  const counts: MoveCounts = { states: 0, records: 0, skipped: 0, conflicts: [], prototypeStates: 0, unindexed: 0 }
  defineScripts(options.target)
  let handled = 0
  const bucket = options.from.bucket(0)
  for (const [prefix, move] of [[bucket.statePrefix, moveStates], [bucket.idempotencyPrefix, moveRecords]] as const) {
    for await (const keys of scan(options.source, prefix, options.batch)) {
      await move(options, keys, counts)
      handled += keys.length
      options.onProgress(handled)
    }
  }
  return counts
}
