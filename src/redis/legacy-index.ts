/**
 * The Python prototype kept its active contacts in a plain SET under the index's name; this
 * turns it into the sorted-set index (see MIGRATE_LEGACY_INDEX in scripts.ts).
 */
import type { Redis } from 'ioredis'
import type { KeySpace } from './keys.js'
import { whileAvailable } from './availability.js'

export interface MigrationReport {
  /** Members of the prototype's SET. */
  found: number
  /** Members whose state still exists, now in the sorted set. */
  moved: number
}

const INDEX_IS_OURS = -1
const SET_CHANGED = -2

/** Migrates the prototype's SET if there is one; null when the index is already ours. */
export async function migrateLegacyIndex (redis: Redis, keys: KeySpace): Promise<MigrationReport | null> {
  for (;;) {
    // The script must be given every key it touches, so the members are read first.
    if (await whileAvailable(redis.type(keys.activeIndex)) !== 'set') return null
    const ids = await whileAvailable(redis.smembers(keys.activeIndex))
    const [found, moved] = await whileAvailable(redis.migrateLegacyIndex(ids.length + 1, keys.activeIndex, ...ids.map(keys.state), ...ids))
    if (found === INDEX_IS_OURS) return null
    if (found !== SET_CHANGED) return { found, moved }
  }
}
