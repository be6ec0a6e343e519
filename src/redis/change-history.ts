/**
 * The entries of every bucket's change stream between two positions of the feed, merged in its
 * order (feed-position.ts): what a client that reconnects with Last-Event-ID missed. Each stream is
 * read a batch at a time, as the merge reaches its end.
 */
import type { RedisClient } from './client.js'
import { entriesInRange } from './change-stream.js'
import { comparePositions, rangeEnd, rangeStart, type FeedPosition } from './feed-position.js'
import type { PositionedEntry } from './feed-reader.js'

interface BucketRead {
  stream: string
  bucket: number
  start: string
  end: string | null
  /** Read, not yet merged. */
  entries: PositionedEntry[]
}

/** Fills a bucket's entries when they ran out and its stream may hold more. */
async function refill (redis: RedisClient, read: BucketRead, batch: number): Promise<void> {
  if (read.end === null || read.entries.length > 0) return
  const entries = await entriesInRange(redis, read.stream, read.start, read.end, batch)
  read.entries = entries.map((entry) => ({ position: { streamId: entry.id, bucket: read.bucket }, entry }))
  const last = entries[entries.length - 1]
  if (entries.length < batch || last === undefined) read.end = null
  else read.start = `(${last.id}`
}

/** The entries after `from` up to `to` (included), in order. */
export async function * changesBetween (redis: RedisClient, streams: string[], from: FeedPosition, to: FeedPosition, batch: number): AsyncGenerator<PositionedEntry> {
  const reads: BucketRead[] = streams.map((stream, bucket) => ({ stream, bucket, start: rangeStart(from, bucket), end: rangeEnd(to, bucket), entries: [] }))
  for (;;) {
    await Promise.all(reads.map(async (read) => await refill(redis, read, batch)))
    let first: BucketRead | null = null
    for (const read of reads) {
      const head = read.entries[0]
      if (head !== undefined && (first === null || comparePositions(head.position, (first.entries[0] as PositionedEntry).position) < 0)) first = read
    }
    if (first === null) return
    yield first.entries.shift() as PositionedEntry
  }
}
