/**
 * The Python prototype kept its active contacts in a plain SET under the index's name; this turns
 * it into the sorted-set index (migrate-legacy-*.lua). Single node only: the prototype never ran
 * on a cluster, and a data set comes to a cluster through move-to-cluster, from a single node
 * where this has run.
 */
import { randomUUID } from 'node:crypto'
import type { KeySpace } from './keys.js'
import type { RedisClient } from './client.js'
import { whileAvailable } from './availability.js'
import { migrateLegacyBegin, migrateLegacyChunk } from './scripts.js'

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
export async function migrateLegacyIndex (redis: RedisClient, keys: KeySpace): Promise<MigrationReport | null> {
  if (keys.tagged) return null
  const bucket = keys.bucket(0)
  const migrationKeys = { legacy: keys.legacyIndex, migration: keys.legacyMigration, lock: keys.legacyMigrationLock }
  const found = await whileAvailable(migrateLegacyBegin(redis, migrationKeys, randomUUID(), LOCK_TTL_MS))
  if (found < 0) return null
  let moved = 0
  for (;;) {
    const ids = await whileAvailable(redis.srandmember(keys.legacyMigration, CHUNK))
    if (ids.length === 0) break
    moved += await whileAvailable(migrateLegacyChunk(redis, bucket, keys.legacyMigration, ids))
    await whileAvailable(redis.pexpire(keys.legacyMigrationLock, LOCK_TTL_MS))
  }
  await whileAvailable(redis.del(keys.legacyMigrationLock))
  return { found, moved }
}
