/**
 * The cluster's counterpart of consistency-scan.ts: bucket by bucket, every state key (found by a
 * SCAN of every master) belongs to its bucket and has exactly its index entries there (the
 * expiry index, the started index, the index meta the document gives, one activity set and one
 * location set, the ones that meta names), and no index of the bucket holds a contact without a
 * state. It reads Redis only; the key names come from the key space, the expected entries from
 * the pure document-to-index mapping.
 */
import type { Cluster } from 'ioredis'
import { createKeySpace, type IndexSlot } from '../../src/redis/keys.js'
import { ALL_SLOTS, indexEntryOf, metaValue } from '../../src/state/index-entry.js'
import type { StateDocument } from '../../schemas/state-document.js'
import type { ConsistencyReport } from './consistency-scan.js'
import { keyHolders, scanKeys } from './scan-keys.js'

/** The keys of one bucket, as src/redis/keys.ts names them in cluster mode. */
export interface BucketKeys {
  statePrefix: string
  state: (contactId: string) => string
  activeIndex: string
  startedIndex: string
  indexMeta: string
  activity: (slot: IndexSlot) => string
  locationActivity: (locationId: string, slot: IndexSlot) => string
}

export interface BucketedKeySpace {
  buckets: number
  bucketOf: (contactId: string) => number
  bucket: (index: number) => BucketKeys
}

// MERGE (issue 12): createKeySpace({ prefix, buckets }) returns this shape once the storage
// layer lands; then this cast and the two interfaces above give way to its own types.
export const bucketedKeySpace = createKeySpace as unknown as (options: { prefix: string, buckets: number }) => BucketedKeySpace

async function members (cluster: Cluster, key: string): Promise<Set<string>> {
  return new Set(await cluster.zrange(key, '0', '-1'))
}

/** One bucket's problems; `locations` are the location ids whose sets to search besides those the states name. */
async function checkBucket (cluster: Cluster, keys: BucketedKeySpace, index: number, locations: Set<string>): Promise<{ states: number, problems: string[] }> {
  const bucket = keys.bucket(index)
  const problems: string[] = []
  const stateKeys = (await Promise.all((await keyHolders(cluster)).map(async (master) => await scanKeys(master, `${bucket.statePrefix}*`)))).flat()
  const docs = new Map(await Promise.all(stateKeys.map(async (key) =>
    [key.slice(bucket.statePrefix.length), await cluster.hget(key, 'doc')] as const)))
  const [expiry, started, meta] = await Promise.all([members(cluster, bucket.activeIndex), members(cluster, bucket.startedIndex), cluster.hgetall(bucket.indexMeta)])
  for (const doc of docs.values()) if (doc !== null) locations.add((JSON.parse(doc) as StateDocument).location_id)
  // Every activity set of the bucket, global and per location, by key name.
  const setKeys = ALL_SLOTS.flatMap((slot) => [bucket.activity(slot), ...[...locations].map((location) => bucket.locationActivity(location, slot))])
  const sets = new Map(await Promise.all(setKeys.map(async (key) => [key, await members(cluster, key)] as const)))

  for (const [id, doc] of docs) {
    if (keys.bucketOf(id) !== index) problems.push(`${id}: state in bucket ${index}, its id says bucket ${keys.bucketOf(id)}`)
    if (doc === null) {
      problems.push(`${id}: state without a document`)
      continue
    }
    const entry = indexEntryOf(JSON.parse(doc) as StateDocument)
    if (!expiry.has(id)) problems.push(`${id}: missing from ${bucket.activeIndex}`)
    if (!started.has(id)) problems.push(`${id}: missing from ${bucket.startedIndex}`)
    if (meta[id] !== metaValue(entry)) problems.push(`${id}: ${bucket.indexMeta} says ${meta[id]}, the document ${metaValue(entry)}`)
    const expected = [bucket.activity(entry.slot), bucket.locationActivity(entry.locationId, entry.slot)]
    for (const [key, set] of sets) {
      if (set.has(id) !== expected.includes(key)) problems.push(`${id}: ${set.has(id) ? 'listed in' : 'missing from'} ${key}`)
    }
  }

  const indexed: Array<[string, Iterable<string>]> = [
    [bucket.activeIndex, expiry], [bucket.startedIndex, started], [bucket.indexMeta, Object.keys(meta)], ...sets
  ]
  for (const [key, ids] of indexed) {
    for (const id of ids) if (!docs.has(id)) problems.push(`${id}: in ${key} without a state`)
  }
  return { states: docs.size, problems }
}

/** Checks every bucket; `locations`: the location ids the test wrote, whose sets must hold no stray contact. */
export async function checkClusterIndexes (cluster: Cluster, keys: BucketedKeySpace, locations: string[]): Promise<ConsistencyReport> {
  const reports = await Promise.all(Array.from({ length: keys.buckets }, async (_, index) =>
    await checkBucket(cluster, keys, index, new Set(locations))))
  return {
    states: reports.reduce((sum, report) => sum + report.states, 0),
    problems: reports.flatMap((report) => report.problems)
  }
}
