/**
 * Positions in the change feed: the feed's one order over every bucket's stream, and its event ids.
 *
 * The order is (stream id ms, seq, bucket index): within a bucket its stream's own order, across
 * buckets the ids Redis gave, ties broken by bucket. On a single node there is one bucket and an
 * event id is the stream id, `<ms>-<seq>`; on a cluster it is `<ms>-<seq>-<bucket>`. A position
 * names the last entry a reader has, so each bucket's stream is read from where that entry sits in
 * the order: after its stream id in its own bucket and in those before it, at it in those after.
 */

/** An entry of a bucket's stream, as a place in the feed's order. */
export interface FeedPosition {
  /** `<ms>-<seq>`, the entry's id in its stream ('0-0': before every entry). */
  streamId: string
  bucket: number
}

/** Where no entry was read yet. */
export const ORIGIN: FeedPosition = { streamId: '0-0', bucket: 0 }

// Redis stream ids are two unsigned 64-bit numbers.
const MAX_ID_PART = 2n ** 64n - 1n
const STREAM_ID = /^(\d{1,20})-(\d{1,20})$/
const CLUSTER_ID = /^(\d{1,20}-\d{1,20})-(0|[1-9]\d{0,3})$/

const isStreamId = (value: string): boolean => {
  const parts = STREAM_ID.exec(value)
  return parts !== null && BigInt(parts[1] as string) <= MAX_ID_PART && BigInt(parts[2] as string) <= MAX_ID_PART
}

/** The ms part of a stream id: Redis's clock when the entry was added. */
export const msOf = (streamId: string): number => Number(streamId.slice(0, streamId.indexOf('-')))

/**
 * Orders ids made of numbers joined by `-` (stream ids, event ids of either form) by those numbers
 * in turn; both must be of that form.
 */
export function compareIds (a: string, b: string): number {
  const as = a.split('-').map(BigInt)
  const bs = b.split('-').map(BigInt)
  for (let i = 0; i < Math.min(as.length, bs.length); i++) {
    const [x, y] = [as[i] as bigint, bs[i] as bigint]
    if (x !== y) return x < y ? -1 : 1
  }
  return as.length - bs.length
}

export function comparePositions (a: FeedPosition, b: FeedPosition): number {
  return compareIds(a.streamId, b.streamId) || a.bucket - b.bucket
}

/** XRANGE's start for the entries of `bucket` after `position` ('(': exclusive). */
export function rangeStart (position: FeedPosition, bucket: number): string {
  return bucket <= position.bucket ? `(${position.streamId}` : position.streamId
}

/** XRANGE's end for the entries of `bucket` up to `position`, included; null when there is none. */
export function rangeEnd (position: FeedPosition, bucket: number): string | null {
  if (bucket <= position.bucket) return position.streamId
  return position.streamId === '0-0' ? null : `(${position.streamId}`
}

/** The feed's event ids in one mode. */
export interface FeedIds {
  format: (position: FeedPosition) => string
  /** The position an id names, or null for anything that is not an id of this mode and bucket count. */
  parse: (id: string) => FeedPosition | null
}

export function feedIds (cluster: boolean, buckets: number): FeedIds {
  if (!cluster) {
    return {
      format: (position) => position.streamId,
      parse: (id) => isStreamId(id) ? { streamId: id, bucket: 0 } : null
    }
  }
  return {
    format: (position) => `${position.streamId}-${position.bucket}`,
    parse (id) {
      const parts = CLUSTER_ID.exec(id)
      if (parts === null || !isStreamId(parts[1] as string)) return null
      const bucket = Number(parts[2])
      return bucket < buckets ? { streamId: parts[1] as string, bucket } : null
    }
  }
}
