/**
 * Every key matching a pattern, by SCAN (never KEYS, which blocks Redis on a large keyspace), for
 * the tests' consistency scan and the benchmark's memory report; on a cluster, master by master.
 */
import type { Redis } from 'ioredis'
import { isCluster, masters, type RedisClient } from '../../src/redis/client.js'

/** The servers that hold the keys: the one server, or every master of a cluster. */
export async function keyHolders (redis: RedisClient): Promise<Redis[]> {
  // A lazy cluster client learns its masters when it connects.
  if (isCluster(redis) && redis.status === 'wait') await redis.connect()
  return await masters(redis)
}

export async function scanKeys (redis: RedisClient, pattern: string, count = 1000): Promise<string[]> {
  const keys: string[] = []
  for (const holder of await keyHolders(redis)) {
    let cursor = '0'
    do {
      const [next, batch] = await holder.scan(cursor, 'MATCH', pattern, 'COUNT', count)
      keys.push(...batch)
      cursor = next
    } while (cursor !== '0')
  }
  return keys
}
