/**
 * The change feed's reader on a single node: one stream, read with a blocking XREAD on a
 * connection of its own, so an entry reaches the feeds as soon as it is added.
 */
import type { Redis } from 'ioredis'
import { decodeEntry, mayHaveMissed, streamBounds } from './change-stream.js'
import type { FeedReader } from './feed-reader.js'

// How long one XREAD waits for entries before it asks again; entries read at most per call.
const BLOCK_MS = 5000
const READ_COUNT = 500

export function blockingFeedReader (redis: Redis, stream: string): FeedReader {
  let connection: Redis | null = null
  let cursor = '0-0'
  return {
    async start () {
      cursor = (await streamBounds(redis, stream)).lastId
      // A blocking read holds its connection: it gets its own, and a timeout past its block.
      // Its first read waits for the connection (an offline queue): no request waits on it.
      if (connection === null) {
        connection = redis.duplicate({ commandTimeout: BLOCK_MS + 5000, connectionName: 'seller-state-feed', enableOfflineQueue: true })
        connection.on('error', () => {}) // the loop reports failures once per outage
      }
      return { streamId: cursor, bucket: 0 }
    },
    async next () {
      const reply = await (connection as Redis).xread('COUNT', READ_COUNT, 'BLOCK', BLOCK_MS, 'STREAMS', stream, cursor)
      return (reply?.[0]?.[1] ?? []).map((raw) => {
        const entry = decodeEntry(raw)
        cursor = entry.id
        return { position: { streamId: entry.id, bucket: 0 }, entry }
      })
    },
    async recover () {
      const bounds = await streamBounds(redis, stream)
      if (!mayHaveMissed(bounds, cursor)) return null
      cursor = bounds.lastId
      return { streamId: cursor, bucket: 0 }
    },
    close: () => connection?.disconnect()
  }
}
