/**
 * Every key matching a pattern, by SCAN (never KEYS, which blocks Redis on a large keyspace), for
 * the tests' consistency scan and the benchmark's memory report; on a cluster, master by master.
 */
import { Cluster, type Redis } from 'ioredis'

export async function scanKeys (redis: Redis, pattern: string, count = 1000): Promise<string[]> {
  const keys: string[] = []
  let cursor = '0'
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', count)
    keys.push(...batch)
    cursor = next
  } while (cursor !== '0')
  return keys
}

/** The servers that hold the keys: the one server, or every master of a cluster. */
export async function keyHolders (redis: Redis | Cluster): Promise<Redis[]> {
  if (!(redis instanceof Cluster)) return [redis]
  // A lazy cluster client learns its masters when it connects.
  if (redis.status === 'wait') await redis.connect()
  return redis.nodes('master')
}
