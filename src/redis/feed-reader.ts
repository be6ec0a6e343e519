/**
 * What the change feed's loop (plugins/change-feed.ts) reads the change streams with: one reader
 * per replica, blocking on a single node (blocking-feed-reader.ts), polling every bucket on a
 * cluster (polling-feed-reader.ts). Either gives the entries once each, in the feed's order.
 */
import type { ChangeEntry } from './change-stream.js'
import type { FeedPosition } from './feed-position.js'

export interface PositionedEntry {
  position: FeedPosition
  entry: ChangeEntry
}

export interface FeedReader {
  /** Where the feed starts: the position of the last entry before it. */
  start: () => Promise<FeedPosition>
  /** The next entries in order, waiting a while for some; [] when none came. */
  next: () => Promise<PositionedEntry[]>
  /** After failed reads: null when nothing was lost, else where the reader starts again (entries were trimmed unread). */
  recover: () => Promise<FeedPosition | null>
  close: () => void
}
