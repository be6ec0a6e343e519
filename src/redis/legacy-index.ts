/**
 * The Python prototype kept its active contacts in a plain SET under the index's name; this
 * turns it into the sorted-set index (see MIGRATE_LEGACY_INDEX in scripts.ts).
 */
import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { KeySpace } from './keys.js'
import { whileAvailable } from './availability.js'

export interface MigrationReport {
  /** Members of the prototype's SET. */
  found: number
  /** Members whose state still exists, now in the sorted set. */
  moved: number
}

// Contact ids per script call: Redis and ioredis stay responsive whatever the SET's size.
const CHUNK = 500
const LOCK_TTL_MS = 30_000

/**
 * Migrates the prototype's SET if there is one (or resumes a migration a replica left unfinished);
 * null when there is nothing to migrate or another replica is migrating it.
 */
export async function migrateLegacyIndex (redis: Redis, keys: KeySpace): Promise<MigrationReport | null> {
  const holder = randomUUID()
  const found = await whileAvailable(redis.migrateLegacyBegin(keys.activeIndex, keys.legacyMigration, keys.legacyMigrationLock, holder, String(LOCK_TTL_MS)))
  if (found < 0) return null
  let moved = 0
  for (;;) {
    const ids = await whileAvailable(redis.srandmember(keys.legacyMigration, CHUNK))
    if (ids.length === 0) break
    moved += await whileAvailable(redis.migrateLegacyChunk(2 + ids.length, keys.legacyMigration, keys.activeIndex, ...ids.map(keys.state), ...ids))
    await whileAvailable(redis.pexpire(keys.legacyMigrationLock, LOCK_TTL_MS))
  }
  await whileAvailable(redis.del(keys.legacyMigrationLock))
  return { found, moved }
}
