/**
 * The index sweep: brings the indexes back in line with the states that exist, in case something
 * other than this service deleted or wrote state keys (a hand edit, an eviction policy, a
 * restore, a state written by a version that kept no listing indexes). In normal operation it
 * finds nothing: the write scripts keep them in step. Its work is grouped by bucket, so every
 * script stays in one slot, and it scans the keys of every master.
 */
import type { BucketKeys, KeySpace } from './keys.js'
import { masters, type RedisClient } from './client.js'
import { whileAvailable } from './availability.js'
import { decodeEnvelope, ENVELOPE_FIELDS, UNREADABLE } from './state-envelope.js'
import { forgetMissing, reapExpired } from './reaping.js'
import { reindexState } from './scripts.js'
import { metaValue, type IndexEntry } from '../state/index-entry.js'
import { ID_PATTERN } from '../../schemas/common.js'

export interface SweepReport {
  /** Entries past their expiry time (a normal sight: states expire). */
  expired: number
  /** Entries whose state no longer exists although its expiry lies ahead: drift. */
  ghosts: number
  /** States of ours that the listing indexes did not hold: drift. */
  orphans: number
  /** State keys holding a string: the Python prototype's pickles, not yet carried over. */
  prototypeStates: number
}

/** Where a stored document goes in the indexes; null for a text that is not a state document. */
export type EntryOf = (json: string) => IndexEntry | null

const BATCH = 500
// Keys under a state prefix that no contact id could produce are not ours to index.
const CONTACT_ID = new RegExp(ID_PATTERN)

async function inBatches (scan: (cursor: string) => Promise<[string, string[]]>, each: (batch: string[]) => Promise<void>): Promise<void> {
  let cursor = '0'
  do {
    const [next, batch] = await whileAvailable(scan(cursor))
    if (batch.length > 0) await each(batch)
    cursor = next
  } while (cursor !== '0')
}

/** A text as a SCAN MATCH pattern matches it literally. */
export const escapeGlob = (text: string): string => text.replace(/[*?[\]\\]/g, '\\$&')

/** Ghosts: entries whose state is gone, found from the active index and from the meta (an entry may have lost one and kept the other). */
async function removeGhosts (redis: RedisClient, bucket: BucketKeys): Promise<number> {
  let ghosts = 0
  for (const scan of [
    async (cursor: string) => await redis.zscan(bucket.activeIndex, cursor, 'COUNT', BATCH),
    async (cursor: string) => await redis.hscan(bucket.indexMeta, cursor, 'COUNT', BATCH)
  ]) {
    await inBatches(scan, async (flat) => {
      ghosts += await forgetMissing(redis, bucket, flat.filter((_, i) => i % 2 === 0))
    })
  }
  return ghosts
}

/** Indexes those of a bucket's states the indexes do not hold; counts the prototype's pickles. */
async function indexOrphans (redis: RedisClient, bucket: BucketKeys, ids: string[], entryOf: EntryOf, report: SweepReport): Promise<void> {
  const [metas, expiries] = await Promise.all([
    whileAvailable(redis.hmget(bucket.indexMeta, ...ids)),
    whileAvailable(redis.zmscore(bucket.activeIndex, ...ids))
  ])
  for (const [i, id] of ids.entries()) {
    const meta = metas[i] ?? null
    if (meta !== null && expiries[i] !== null) continue
    const key = bucket.state(id)
    const fields = await whileAvailable(redis.hmget(key, ...ENVELOPE_FIELDS)).catch(() => null)
    // Our states are hashes; a string is what the prototype stored (a pickle).
    if (fields === null && await whileAvailable(redis.type(key)) === 'string') report.prototypeStates++
    const stored = fields === null ? null : decodeEnvelope(fields)
    if (stored === null || stored === UNREADABLE) continue
    const entry = entryOf(stored.json)
    if (entry === null) continue
    const indexed = await whileAvailable(reindexState(redis, {
      bucket,
      contactId: id,
      etag: stored.etag,
      place: bucket.place(metaValue(entry)),
      was: meta === null ? null : bucket.place(meta),
      lastActivityMs: entry.lastInteractionMs,
      startedMs: entry.conversationStartedMs
    }))
    if (indexed) report.orphans++
  }
}

export async function sweepIndex (redis: RedisClient, keys: KeySpace, entryOf: EntryOf): Promise<SweepReport> {
  const report: SweepReport = { expired: 0, ghosts: 0, orphans: 0, prototypeStates: 0 }
  const buckets = Array.from({ length: keys.buckets }, (_, i) => keys.bucket(i))
  // Expired entries first, so that what is left and has no state is drift.
  for (const bucket of buckets) {
    report.expired += await reapExpired(redis, bucket)
    report.ghosts += await removeGhosts(redis, bucket)
  }
  // Every state key of every master, by bucket: a key's bucket is the state prefix it starts with.
  const byPrefix = buckets.map((bucket) => [bucket.statePrefix, bucket] as const)
  const pattern = keys.tagged ? `${escapeGlob(keys.prefix)}{*}:state:*` : `${escapeGlob(keys.bucket(0).statePrefix)}*`
  for (const master of await masters(redis)) {
    await inBatches(async (cursor) => await master.scan(cursor, 'MATCH', pattern, 'COUNT', BATCH), async (stateKeys) => {
      const found = new Map<BucketKeys, string[]>()
      for (const key of stateKeys) {
        const owner = byPrefix.find(([prefix]) => key.startsWith(prefix))
        const id = owner === undefined ? '' : key.slice(owner[0].length)
        if (owner === undefined || !CONTACT_ID.test(id)) continue
        found.set(owner[1], [...found.get(owner[1]) ?? [], id])
      }
      for (const [bucket, ids] of found) await indexOrphans(redis, bucket, ids, entryOf, report)
    })
  }
  return report
}

/**
 * Runs the sweep unless another replica took the lock within `lockTtlMs`; null when one did.
 * The lock is never released, only left to expire: so the replicas share one sweep per period,
 * and one that dies while sweeping holds the others back for one period at most.
 */
export async function sweepIndexIfLeader (redis: RedisClient, keys: KeySpace, entryOf: EntryOf, lockTtlMs: number, holder: string): Promise<SweepReport | null> {
  const acquired = await whileAvailable(redis.set(keys.sweepLock, holder, 'PX', lockTtlMs, 'NX'))
  if (acquired === null) return null
  return await sweepIndex(redis, keys, entryOf)
}
