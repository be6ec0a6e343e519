/**
 * Buckets: on Redis Cluster the contacts are spread over B buckets, and every key of a bucket
 * carries the bucket's hash tag, so one contact's state, idempotency records and index entries
 * share one slot (a script may touch them together) and no text a client sends can move them: the
 * tag comes before anything taken from a request.
 *
 * B is fixed for the life of the data (a contact's bucket is computed from its id), and the tags
 * are chosen so that the buckets sit evenly across the slot space: with the masters' usual
 * contiguous, equal slot ranges, each master holds B / masters buckets.
 */
import calculateSlot from 'cluster-key-slot'

const SLOTS = 16384

/**
 * The hash tag of bucket `index` of `count`: the first of `<index>.<n>` whose slot falls in the
 * middle half of the bucket's share of the slot space, so that resharding by ranges keeps it
 * with its neighbours.
 */
export function bucketTag (index: number, count: number): string {
  const width = SLOTS / count
  const low = index * width + width / 4
  const high = index * width + (3 * width) / 4
  for (let n = 0; ; n++) {
    const tag = `${index}.${n}`
    const slot = calculateSlot(tag)
    if (slot >= low && slot < high) return tag
  }
}

/** The bucket of a contact id: FNV-1a of its bytes (ids are ASCII), modulo the count. */
export function bucketOf (contactId: string, count: number): number {
  if (count === 1) return 0
  let hash = 0x811c9dc5
  for (let i = 0; i < contactId.length; i++) {
    hash ^= contactId.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return (hash >>> 0) % count
}
