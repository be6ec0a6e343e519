/**
 * What a resuming client missed, from several bucket streams (here on one redis-server): every
 * entry between two positions, merged in the feed's order, read a small batch at a time.
 */
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { Redis } from 'ioredis'
import { privateRedis } from '../helper.js'
import { changesBetween } from '../../src/redis/change-history.js'

t.test('the entries after one position up to another, every bucket merged in order', async (t) => {
  const server = await privateRedis(t)
  const redis = new Redis(server.url)
  t.teardown(() => redis.disconnect())
  const streams = [0, 1, 2].map((b) => `test:${randomUUID()}:{${b}}:events`)
  // Bucket b holds ids 10-0 ... 14-0 (the same ids in every bucket: the bucket breaks the tie).
  for (const [b, stream] of streams.entries()) {
    for (let ms = 10; ms < 15; ms++) await redis.xadd(stream, `${ms}-0`, 'k', 'created', 'id', `c-${ms}-${b}`, 'm', 'Q1:COLD:u|loc-1', 'a', '')
  }
  const read = async (from: { streamId: string, bucket: number }, to: { streamId: string, bucket: number }): Promise<string[]> => {
    const ids: string[] = []
    for await (const { position } of changesBetween(redis, streams, from, to, 2)) ids.push(`${position.streamId}-${position.bucket}`)
    return ids
  }
  t.same(await read({ streamId: '11-0', bucket: 1 }, { streamId: '13-0', bucket: 0 }),
    ['11-0-2', '12-0-0', '12-0-1', '12-0-2', '13-0-0'], 'after 11-0-1, up to 13-0-0 included')
  t.equal((await read({ streamId: '0-0', bucket: 0 }, { streamId: '99-0', bucket: 2 })).length, 15, 'all of them, in batches of 2')
  t.same(await read({ streamId: '13-0', bucket: 0 }, { streamId: '12-0', bucket: 2 }), [], 'nothing when the client is ahead')
})
