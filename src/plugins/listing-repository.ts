/**
 * Reads of the listing indexes for the dashboard (listing-store.ts says what it offers): a page
 * of a plan, the documents of a page, and the counts of the summary. Every bucket answers for its
 * contacts, in parallel, and the answers are added up or merged in the one order of a listing
 * (listing-order.ts). Expired contacts are taken out of the indexes just before anything is
 * counted, so no answer includes one.
 */
import fp from 'fastify-plugin'
import type { BucketKeys, KeySpace } from '../redis/keys.js'
import { slotName } from '../redis/keys.js'
import type { RedisClient } from '../redis/client.js'
import { isOutage, isWrongType, whileAvailable } from '../redis/availability.js'
import { decodeEnvelope, ENVELOPE_FIELDS, UNREADABLE } from '../redis/state-envelope.js'
import { countSlots, listPage, type BucketPage, type SetRange } from '../redis/scripts.js'
import { forgetMissing, reapExpired } from '../redis/reaping.js'
import { migrateLegacyIndex } from '../redis/legacy-index.js'
import { PageTooDeepError, RedisUnavailableError } from '../errors.js'
import { ALL_SLOTS } from '../state/index-entry.js'
import { candidatePlan, MAX_PAGE_WALK, planListing } from '../state/listing-plan.js'
import { comparePositions } from '../state/listing-order.js'
import type { ActiveState, ListingRepository } from '../state/listing-store.js'

// Documents read per round trip.
const READ_BATCH = 500
// Candidates read at a time by a query that reads them all: at most this many documents of up
// to BODY_LIMIT_BYTES each are in memory at once for one search.
export const CANDIDATE_BATCH = 100

/** Active contacts minus indexed ones; never below zero, even while the sweep has drift to repair. */
const unindexedCount = (difference: number): number => Math.max(0, difference)

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0)

export function createListingRepository (redis: RedisClient, keys: KeySpace): ListingRepository {
  const buckets = Array.from({ length: keys.buckets }, (_, i) => keys.bucket(i))
  const eachBucket = async <T>(work: (bucket: BucketKeys) => Promise<T>): Promise<T[]> => await Promise.all(buckets.map(work))

  /** Runs a read; if the index key holds the prototype's SET, migrates it first. */
  async function withOurIndex<T> (read: () => Promise<T>): Promise<T> {
    try {
      return await whileAvailable(read())
    } catch (err) {
      if (!isWrongType(err)) throw err
      await migrateLegacyIndex(redis, keys)
      return await whileAvailable(read())
    }
  }

  /** Takes every expired contact out of the indexes, in short scripts: Redis never blocks long. */
  async function reapAll (): Promise<void> {
    await eachBucket(async (bucket) => await withOurIndex(async () => await reapExpired(redis, bucket)))
  }

  /** The members of one set within its score range, by rank a batch at a time, in score order. */
  async function * membersOf ({ key, min, max }: SetRange): AsyncGenerator<string[]> {
    // Entries below the range: all scores under min (inclusive min), or up to it (exclusive).
    const below = min === '-inf' ? 0 : await whileAvailable(redis.zcount(key, '-inf', min.startsWith('(') ? min.slice(1) : `(${min}`))
    const count = await whileAvailable(redis.zcount(key, min, max))
    for (let start = below; start < below + count; start += CANDIDATE_BATCH) {
      const stop = Math.min(start + CANDIDATE_BATCH, below + count) - 1
      yield await whileAvailable(redis.zrange(key, String(start), String(stop)))
    }
  }

  /** The states of one bucket's contacts, one pipeline per READ_BATCH. */
  async function readBucket (bucket: BucketKeys, contactIds: string[]): Promise<Array<Array<string | null> | typeof UNREADABLE>> {
    const results: Array<Array<string | null> | typeof UNREADABLE> = []
    for (let start = 0; start < contactIds.length; start += READ_BATCH) {
      const pipeline = redis.pipeline()
      for (const id of contactIds.slice(start, start + READ_BATCH)) pipeline.hmget(bucket.state(id), ...ENVELOPE_FIELDS)
      for (const [err, fields] of (await whileAvailable(pipeline.exec())) ?? []) {
        if (err && !isWrongType(err)) throw isOutage(err) ? new RedisUnavailableError({ cause: err }) : err
        results.push(err ? UNREADABLE : fields as Array<string | null>)
      }
    }
    return results
  }

  /** The contacts of each bucket, in the order given. */
  function byBucket (contactIds: string[]): Map<number, string[]> {
    const groups = new Map<number, string[]>()
    for (const id of contactIds) {
      const index = keys.bucketOf(id)
      groups.set(index, [...groups.get(index) ?? [], id])
    }
    return groups
  }

  return {
    async page (selection, stalledBefore, after, limit) {
      const plans = buckets.map((bucket) => planListing(bucket, selection, stalledBefore))
      const within = plans[0]?.within
      if (within === undefined) return null
      await reapAll()
      // Past a cursor the page number means nothing.
      const offset = after === null ? (selection.page - 1) * selection.page_size : 0
      // One bucket skips to the offset itself; several each give their first offset + limit
      // entries, merged here, so a page number costs buckets x (offset + limit): bounded. Past
      // the bound only the counts are read: a page past the end is empty, as on one bucket.
      const merged = buckets.length > 1
      const tooDeep = merged && offset > MAX_PAGE_WALK
      const pages = await Promise.all(buckets.map(async (bucket, i) => await withOurIndex(async () => await listPage(redis, {
        bucket,
        groups: plans[i]?.groups ?? [],
        within,
        offset: merged ? 0 : offset,
        limit: tooDeep ? 0 : merged ? offset + limit : limit,
        after,
        maxWalk: MAX_PAGE_WALK
      }))))
      if (pages.some((page) => page === null)) throw new PageTooDeepError(MAX_PAGE_WALK)
      const found = pages as BucketPage[]
      const total = sum(found.map((page) => page.total))
      if (tooDeep && total > offset) throw new PageTooDeepError(MAX_PAGE_WALK)
      const entries = merged
        ? found.flatMap((page) => page.entries).sort(comparePositions(within)).slice(offset, offset + limit)
        : found[0]?.entries ?? []
      return { total, unindexed: unindexedCount(sum(found.map((page) => page.unindexed))), entries }
    },

    async * candidates (selection, stalledBefore) {
      await reapAll()
      for (const bucket of buckets) {
        for (const set of candidatePlan(bucket, selection, stalledBefore).groups.flat()) yield * membersOf(set)
      }
    },

    async unindexedCount () {
      const counts = await eachBucket(async (bucket) => await withOurIndex(async () => await countSlots(redis, bucket, [], 0)))
      return unindexedCount(sum(counts.map((count) => count.unindexed)))
    },

    async read (contactIds) {
      // One bucket's contacts share a slot, so a bucket is read in pipelines; the buckets are read
      // at once, so the pipelines of the buckets of one master travel together on its connection.
      const groups = [...byBucket(contactIds)]
      const replies = await Promise.all(groups.map(async ([index, ids]) => await readBucket(keys.bucket(index), ids)))
      const fieldsOf = new Map<string, Array<string | null> | typeof UNREADABLE>()
      groups.forEach(([, ids], g) => ids.forEach((id, i) => fieldsOf.set(id, replies[g]?.[i] ?? UNREADABLE)))

      const states: ActiveState[] = []
      const unreadable: string[] = []
      const missing: string[] = []
      for (const contactId of contactIds) {
        const fields = fieldsOf.get(contactId) ?? UNREADABLE
        const stored = fields === UNREADABLE ? UNREADABLE : decodeEnvelope(fields)
        if (stored === UNREADABLE) unreadable.push(contactId)
        else if (stored === null) missing.push(contactId)
        else states.push({ ...stored, contactId })
      }
      return { states, unreadable, missing }
    },

    async forgetGhosts (contactIds) {
      const removed = await Promise.all([...byBucket(contactIds)].map(async ([index, ids]) => await forgetMissing(redis, keys.bucket(index), ids)))
      return sum(removed)
    },

    async activeCount () {
      return sum(await eachBucket(async (bucket) => await whileAvailable(redis.zcount(bucket.activeIndex, `(${Date.now()}`, '+inf'))))
    },

    async countSlots (locationId, stalledBefore) {
      await reapAll()
      const counts = await eachBucket(async (bucket) => await withOurIndex(async () => await countSlots(redis, bucket, ALL_SLOTS.map((slot) => ({
        key: locationId === undefined ? bucket.activity(slotName(slot)) : bucket.locationActivity(locationId, slotName(slot)),
        unqualified: !slot.qualified
      })), stalledBefore)))
      const slots = ALL_SLOTS.map((slot, i) => ({
        slot,
        size: sum(counts.map((count) => count.sizes[i]?.size ?? 0)),
        stalled: sum(counts.map((count) => count.sizes[i]?.stalled ?? 0))
      }))
      return { slots, unindexed: unindexedCount(sum(counts.map((count) => count.unindexed))) }
    }
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    listingRepository: ListingRepository
  }
}

export default fp(async function listingRepositoryPlugin (app) {
  app.decorate('listingRepository', createListingRepository(app.redis, app.keySpace))
}, { name: 'listing-repository', dependencies: ['state-repository'] })
