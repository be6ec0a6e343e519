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

/** Migrates the prototype's SET if there is one; null when the index is already ours. */
export async function migrateLegacyIndex (redis: Redis, keys: KeySpace): Promise<MigrationReport | null> {
  const [found, moved] = await whileAvailable(redis.migrateLegacyIndex(keys.activeIndex, keys.statePrefix))
  return found < 0 ? null : { found, moved }
}
