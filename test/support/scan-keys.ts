/**
 * Every key matching a pattern, by SCAN on every master (never KEYS, which blocks Redis on a
 * large keyspace), for the tests' consistency scan and the benchmark's memory report.
 */
import { masters, type RedisClient } from '../../src/redis/client.js'

export async function scanKeys (redis: RedisClient, pattern: string, count = 1000): Promise<string[]> {
  const keys: string[] = []
  for (const master of masters(redis)) {
    let cursor = '0'
    do {
      const [next, batch] = await master.scan(cursor, 'MATCH', pattern, 'COUNT', count)
      keys.push(...batch)
      cursor = next
    } while (cursor !== '0')
  }
  return keys
}
