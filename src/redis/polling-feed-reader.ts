/**
 * The change feed's reader on a cluster: every bucket has its stream, on whichever master holds
 * its slot, and the feed gives their entries merged in its order (feed-position.ts).
 *
 * It polls, since a blocking read per bucket would hold the connections to the masters that
 * requests use. Each poll of a bucket (read-changes.lua) returns its master's clock with the
 * entries after the bucket's position, in one step: whatever that master adds later gets an id at
 * or past that clock. So once every bucket is polled, entries below the lowest bound are final (no
 * bucket can still add one before them): they are handed out in order, the others wait for a
 * later round. A master whose clock lags only delays the feed; it never loses or reorders.
 */
import { whileAvailable } from './availability.js'
import { decodeEntry, mayHaveMissed, streamBounds } from './change-stream.js'
import type { RedisClient } from './client.js'
import { comparePositions, msOf, ORIGIN, rangeStart, type FeedPosition } from './feed-position.js'
import type { FeedReader, PositionedEntry } from './feed-reader.js'
import { defineScripts, readChanges } from './scripts.js'

// Every bucket is polled about 10 times a second: the feed's delay on a cluster, against B small
// reads per round on the masters (6 buckets: 60 reads/s per replica, whatever the feeds open).
const POLL_INTERVAL_MS = 100
// Entries a bucket may hold read but not yet handed out: a poll reads no more than this minus those.
const READ_COUNT = 500

const sleep = async (ms: number): Promise<void> => await new Promise((resolve) => setTimeout(resolve, ms))

export function pollingFeedReader (redis: RedisClient, streams: string[]): FeedReader {
  defineScripts(redis)
  /** Per bucket: its entries after this position are yet to read. */
  let after: FeedPosition[] = []
  /** Per bucket: entries read, not yet final. */
  let waiting: PositionedEntry[][] = []
  let caughtUp = true

  const poll = async (stream: string, start: string, count: number): Promise<{ clockMs: number, entries: Array<[string, string[]]> }> =>
    await whileAvailable(readChanges(redis, { stream, start, count }))

  /**
   * The position of the last final entry now: the masters' lowest clock, then per bucket its last
   * entry below it. Entries at or past that clock are after it, as are the ones added later.
   */
  async function begin (): Promise<FeedPosition> {
    const clocks = await Promise.all(streams.map(async (stream) => (await poll(stream, '-', 0)).clockMs))
    const bound = Math.min(...clocks)
    const lasts = await Promise.all(streams.map(async (stream) => await whileAvailable(redis.xrevrange(stream, `(${bound}-0`, '-', 'COUNT', 1))))
    let start = ORIGIN
    lasts.forEach(([last], bucket) => {
      if (last !== undefined && comparePositions({ streamId: last[0], bucket }, start) > 0) start = { streamId: last[0], bucket }
    })
    after = streams.map(() => start)
    waiting = streams.map(() => [])
    return start
  }

  /** One poll of every bucket; the entries that became final, in order. */
  async function round (): Promise<PositionedEntry[]> {
    const counts = waiting.map((entries) => READ_COUNT - entries.length)
    const polls = await Promise.all(streams.map(async (stream, bucket) => await poll(stream, rangeStart(after[bucket] as FeedPosition, bucket), counts[bucket] as number)))
    let bound = Infinity
    caughtUp = true
    polls.forEach(({ clockMs, entries }, bucket) => {
      for (const raw of entries) {
        const position = { streamId: raw[0], bucket }
        waiting[bucket]?.push({ position, entry: decodeEntry(raw) })
        after[bucket] = position
      }
      // A full read may have left entries behind: they are past its last one, not past the clock.
      const full = entries.length === counts[bucket]
      if (full && entries.length > 0) caughtUp = false
      bound = Math.min(bound, full ? msOf((after[bucket] as FeedPosition).streamId) : clockMs)
    })
    const final: PositionedEntry[] = []
    for (const entries of waiting) {
      while (entries.length > 0 && msOf((entries[0] as PositionedEntry).position.streamId) < bound) final.push(entries.shift() as PositionedEntry)
    }
    return final.sort((a, b) => comparePositions(a.position, b.position))
  }

  return {
    start: begin,
    async next () {
      if (caughtUp) await sleep(POLL_INTERVAL_MS)
      return await round()
    },
    async recover () {
      const bounds = await Promise.all(streams.map(async (stream) => await streamBounds(redis, stream)))
      const lost = bounds.some((stream, bucket) => {
        const position = after[bucket] as FeedPosition
        return mayHaveMissed(stream, position.streamId, position.bucket === bucket)
      })
      return lost ? await begin() : null
    },
    close: () => {}
  }
}
