/**
 * The cluster's feed reader, on bucket streams a test writes with ids of its choosing (on one
 * redis-server: the reader's rule does not depend on where a stream lives): a master whose clock
 * runs ahead delays its entries, never reorders them; a bucket read in several batches holds the
 * others back until its batch is complete; a stream trimmed past the reader makes it start again.
 */
import { randomUUID } from 'node:crypto'
import t, { type Test } from 'tap'
import { Redis } from 'ioredis'
import { privateRedis } from '../helper.js'
import { comparePositions } from '../../src/redis/feed-position.js'
import type { FeedReader, PositionedEntry } from '../../src/redis/feed-reader.js'
import { pollingFeedReader } from '../../src/redis/polling-feed-reader.js'

const BUCKETS = 3

async function setUp (t: Test): Promise<{ redis: Redis, streams: string[], reader: FeedReader }> {
  const server = await privateRedis(t)
  const redis = new Redis(server.url)
  t.teardown(() => redis.disconnect())
  const prefix = `test:${randomUUID()}:`
  const streams = Array.from({ length: BUCKETS }, (_, b) => `${prefix}{${b}}:events`)
  return { redis, streams, reader: pollingFeedReader(redis, streams) }
}

const add = async (redis: Redis, stream: string, id: string, contactId: string): Promise<void> => {
  await redis.xadd(stream, id, 'k', 'created', 'id', contactId, 'm', 'Q1:COLD:u|loc-1', 'a', '')
}

/** Rounds of the reader until it has handed out `count` entries (each with when it came). */
async function collect (reader: FeedReader, count: number): Promise<Array<PositionedEntry & { at: number }>> {
  const got: Array<PositionedEntry & { at: number }> = []
  while (got.length < count) for (const entry of await reader.next()) got.push({ ...entry, at: Date.now() })
  return got
}

const isOrdered = (entries: PositionedEntry[]): boolean => entries.every((e, i) => i === 0 || comparePositions((entries[i - 1] as PositionedEntry).position, e.position) < 0)

t.test('a bucket whose master\'s clock runs ahead: its entry waits for the others\' clocks, the order holds', async (t) => {
  const { redis, streams, reader } = await setUp(t)
  t.same(await reader.start(), { streamId: '0-0', bucket: 0 }, 'empty streams: the feed starts before every entry')
  const ahead = Date.now() + 1500
  await add(redis, streams[0] as string, `${ahead}-0`, 'ahead')
  await add(redis, streams[1] as string, '*', 'now-1')
  await add(redis, streams[2] as string, '*', 'now-2')
  const got = await collect(reader, 3)
  t.same(got.map((e) => e.entry.contactId), ['now-1', 'now-2', 'ahead'])
  t.ok(isOrdered(got), 'in the order (ms, seq, bucket)')
  t.ok((got[2] as { at: number }).at >= ahead, 'the entry from ahead comes once every clock has passed it')
})

t.test('a bucket read in several batches holds the others back until the batch that reaches them', async (t) => {
  const { redis, streams, reader } = await setUp(t)
  await reader.start()
  // 600 old entries in bucket 0 (more than one poll reads), one in bucket 1 among the last of them.
  const pipeline = redis.pipeline()
  for (let i = 0; i < 600; i++) pipeline.xadd(streams[0] as string, `${1000 + i}-0`, 'k', 'created', 'id', `b0-${i}`, 'm', 'Q1:COLD:u|loc-1', 'a', '')
  await pipeline.exec()
  await add(redis, streams[1] as string, '1550-0', 'b1')
  const got = await collect(reader, 601)
  t.ok(isOrdered(got), 'in the order (ms, seq, bucket): b1 after b0\'s 1550, before its 1551')
  t.equal(got.findIndex((e) => e.entry.contactId === 'b1'), 551)
})

t.test('a stream trimmed past the reader: it starts again from the last final entry', async (t) => {
  const { redis, streams, reader } = await setUp(t)
  await add(redis, streams[1] as string, '*', 'before')
  await reader.start()
  t.equal(await reader.recover(), null, 'nothing lost')
  await add(redis, streams[1] as string, '*', 'lost')
  await add(redis, streams[1] as string, '*', 'kept')
  await redis.xtrim(streams[1] as string, 'MAXLEN', 1)
  await new Promise((resolve) => setTimeout(resolve, 5)) // the clocks pass the entry kept
  const restart = await reader.recover()
  const [[kept]] = await redis.xrange(streams[1] as string, '-', '+') as [[string, string[]]]
  t.same(restart, { streamId: kept, bucket: 1 }, 'the last entry held before the clocks')
})
