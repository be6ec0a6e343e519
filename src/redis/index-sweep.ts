/**
 * The index sweep: brings the active index back in line with the states that exist, in case
 * something other than this service deleted or wrote state keys (a hand edit, an eviction
 * policy, a restore). In normal operation it finds nothing: the write scripts keep them in step.
 */
import type { Redis } from 'ioredis'
import type { KeySpace } from './keys.js'
import { whileAvailable } from './availability.js'

export interface SweepReport {
  /** Entries past their expiry time (a normal sight: states expire). */
  expired: number
  /** Entries whose state no longer exists although its expiry lies ahead: drift. */
  ghosts: number
  /** States of ours that had no index entry: drift. */
  orphans: number
}

const BATCH = 500

async function inBatches (redis: Redis, scan: (cursor: string) => Promise<[string, string[]]>, each: (batch: string[]) => Promise<void>): Promise<void> {
  let cursor = '0'
  do {
    const [next, batch] = await whileAvailable(scan(cursor))
    if (batch.length > 0) await each(batch)
    cursor = next
  } while (cursor !== '0')
}

export async function sweepIndex (redis: Redis, keys: KeySpace): Promise<SweepReport> {
  const report: SweepReport = { expired: 0, ghosts: 0, orphans: 0 }
  report.expired = await whileAvailable(redis.zremrangebyscore(keys.activeIndex, '-inf', Date.now()))

  await inBatches(redis, (cursor) => redis.zscan(keys.activeIndex, cursor, 'COUNT', BATCH), async (flat) => {
    const ids = flat.filter((_, i) => i % 2 === 0)
    report.ghosts += await whileAvailable(redis.removeGhosts(ids.length + 1, keys.activeIndex, ...ids.map(keys.state), ...ids))
  })

  const pattern = `${keys.statePrefix.replace(/[*?[\]\\]/g, '\\$&')}*`
  await inBatches(redis, (cursor) => redis.scan(cursor, 'MATCH', pattern, 'COUNT', BATCH), async (stateKeys) => {
    const ids = stateKeys.map((key) => key.slice(keys.statePrefix.length))
    report.orphans += await whileAvailable(redis.indexOrphans(ids.length + 1, keys.activeIndex, ...stateKeys, ...ids))
  })
  return report
}

/**
 * Runs the sweep unless another replica took the lock within `lockTtlMs`; null when one did.
 * The lock is never released, only left to expire: so the replicas share one sweep per period,
 * and one that dies while sweeping holds the others back for one period at most.
 */
export async function sweepIndexIfLeader (redis: Redis, keys: KeySpace, lockTtlMs: number, holder: string): Promise<SweepReport | null> {
  const acquired = await whileAvailable(redis.set(keys.sweepLock, holder, 'PX', lockTtlMs, 'NX'))
  if (acquired === null) return null
  return await sweepIndex(redis, keys)
}
