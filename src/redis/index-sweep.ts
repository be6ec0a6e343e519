/**
 * The index sweep: brings the indexes back in line with the states that exist, in case something
 * other than this service deleted or wrote state keys (a hand edit, an eviction policy, a
 * restore, a state written by a version that kept no listing indexes). In normal operation it
 * finds nothing: the write scripts keep them in step.
 */
import type { Redis } from 'ioredis'
import type { KeySpace } from './keys.js'
import { whileAvailable } from './availability.js'
import { decodeEnvelope, ENVELOPE_FIELDS, UNREADABLE } from './state-envelope.js'
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
// Keys under the state prefix that no contact id could produce are not ours to index.
const CONTACT_ID = new RegExp(ID_PATTERN)

async function inBatches (scan: (cursor: string) => Promise<[string, string[]]>, each: (batch: string[]) => Promise<void>): Promise<void> {
  let cursor = '0'
  do {
    const [next, batch] = await whileAvailable(scan(cursor))
    if (batch.length > 0) await each(batch)
    cursor = next
  } while (cursor !== '0')
}

export async function sweepIndex (redis: Redis, keys: KeySpace, entryOf: EntryOf): Promise<SweepReport> {
  const report: SweepReport = { expired: 0, ghosts: 0, orphans: 0, prototypeStates: 0 }
  const indexKeys = [keys.activeIndex, keys.indexMeta, keys.startedIndex]
  const prefixes = [keys.activityPrefix, keys.locationPrefix]

  // Expired entries first, so that what is left and has no state is drift; in chunks, so that a
  // wave of expiries never makes one huge script.
  for (;;) {
    const expired = await whileAvailable(redis.zrange(keys.activeIndex, '-inf', `(${Date.now()}`, 'BYSCORE', 'LIMIT', 0, BATCH))
    if (expired.length === 0) break
    const removed = await whileAvailable(redis.removeGhosts(4 + expired.length, ...indexKeys, ...expired.map(keys.state), keys.events, ...prefixes, ...expired))
    report.expired += removed
    // Entries past their time whose state still exists (a clock far behind): not ours to judge.
    if (removed === 0) break
  }
  // Ghosts: entries whose state is gone, found from the active index and from the meta (an entry
  // may have lost one and kept the other).
  for (const scan of [
    (cursor: string) => redis.zscan(keys.activeIndex, cursor, 'COUNT', BATCH),
    (cursor: string) => redis.hscan(keys.indexMeta, cursor, 'COUNT', BATCH)
  ]) {
    await inBatches(scan, async (flat) => {
      const ids = flat.filter((_, i) => i % 2 === 0)
      report.ghosts += await whileAvailable(redis.removeGhosts(4 + ids.length, ...indexKeys, ...ids.map(keys.state), keys.events, ...prefixes, ...ids))
    })
  }

  const pattern = `${keys.statePrefix.replace(/[*?[\]\\]/g, '\\$&')}*`
  await inBatches((cursor) => redis.scan(cursor, 'MATCH', pattern, 'COUNT', BATCH), async (stateKeys) => {
    const ids = stateKeys.map((key) => key.slice(keys.statePrefix.length)).filter((id) => CONTACT_ID.test(id))
    if (ids.length === 0) return
    const meta = await whileAvailable(redis.hmget(keys.indexMeta, ...ids))
    const expiries = await whileAvailable(redis.zmscore(keys.activeIndex, ...ids))
    for (const [i, id] of ids.entries()) {
      if (meta[i] !== null && expiries[i] !== null) continue
      const fields = await whileAvailable(redis.hmget(keys.state(id), ...ENVELOPE_FIELDS)).catch(() => null)
      // Our states are hashes; a string is what the prototype stored (a pickle).
      if (fields === null && await whileAvailable(redis.type(keys.state(id))) === 'string') report.prototypeStates++
      const stored = fields === null ? null : decodeEnvelope(fields)
      if (stored === null || stored === UNREADABLE) continue
      const entry = entryOf(stored.json)
      if (entry === null) continue
      report.orphans += await whileAvailable(redis.reindexState(keys.state(id), keys.activeIndex, keys.indexMeta, keys.startedIndex,
        id, stored.etag, ...prefixes, metaValue(entry), String(entry.lastInteractionMs ?? ''), String(entry.conversationStartedMs)))
    }
  })
  return report
}

/**
 * Runs the sweep unless another replica took the lock within `lockTtlMs`; null when one did.
 * The lock is never released, only left to expire: so the replicas share one sweep per period,
 * and one that dies while sweeping holds the others back for one period at most.
 */
export async function sweepIndexIfLeader (redis: Redis, keys: KeySpace, entryOf: EntryOf, lockTtlMs: number, holder: string): Promise<SweepReport | null> {
  const acquired = await whileAvailable(redis.set(keys.sweepLock, holder, 'PX', lockTtlMs, 'NX'))
  if (acquired === null) return null
  return await sweepIndex(redis, keys, entryOf)
}
