/**
 * Taking contacts whose state is gone out of a bucket's indexes: the expired ones before every
 * listing and summary (so no answer includes one) and at each sweep, and the ghosts a listing or
 * the sweep finds. Their places are read first and given to the script (unindex-missing.lua),
 * which checks them again atomically.
 */
import type { BucketKeys } from './keys.js'
import type { RedisClient } from './client.js'
import { whileAvailable } from './availability.js'
import { unindexMissing } from './scripts.js'

/** Contacts per script: a wave of expiries costs many short scripts, never one long one. */
export const REAP_BATCH = 500

/** Takes those of the contacts whose state is gone out of the bucket's indexes; how many. */
export async function forgetMissing (redis: RedisClient, bucket: BucketKeys, contactIds: string[]): Promise<number> {
  if (contactIds.length === 0) return 0
  const metas = await whileAvailable(redis.hmget(bucket.indexMeta, ...contactIds))
  const contacts = contactIds.map((contactId, i) => {
    const meta = metas[i]
    return { contactId, place: meta == null ? null : bucket.place(meta) }
  })
  return await whileAvailable(unindexMissing(redis, bucket, contacts))
}

/** Takes every expired contact of the bucket out of its indexes; how many. */
export async function reapExpired (redis: RedisClient, bucket: BucketKeys): Promise<number> {
  let reaped = 0
  for (;;) {
    const expired = await whileAvailable(redis.zrange(bucket.activeIndex, '-inf', `(${Date.now()}`, 'BYSCORE', 'LIMIT', 0, REAP_BATCH))
    const removed = await forgetMissing(redis, bucket, expired)
    reaped += removed
    // Entries past their time whose state still exists (a clock far behind) are not ours to judge.
    if (expired.length < REAP_BATCH || removed === 0) return reaped
  }
}
