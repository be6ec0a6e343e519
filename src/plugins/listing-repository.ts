/**
 * Reads of the listing indexes for the dashboard: a page of a plan, the documents of a page, and
 * the counts of the summary. Expired contacts are taken out of the indexes in the same script
 * before anything is counted, so no answer ever includes one.
 */
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import { createKeySpace, slotName, type KeySpace } from '../redis/keys.js'
import { isOutage, whileAvailable } from '../redis/availability.js'
import { decodeEnvelope, ENVELOPE_FIELDS, UNREADABLE, type StoredState } from '../redis/state-envelope.js'
import { PageTooDeepError, RedisUnavailableError } from '../errors.js'
import { ALL_SLOTS } from '../state/index-entry.js'
import { candidatePlan, planListing, type ListingPlan, type SetRange } from '../state/listing-plan.js'
import { MAX_PAGE_WALK, REAP_BATCH } from '../redis/scripts.js'
import type { ActiveSelection, SlotCount } from '../state/active-listing.js'
import type { CursorPosition } from '../state/listing-cursor.js'
import { isWrongType } from './state-repository.js'
import { migrateLegacyIndex } from '../redis/legacy-index.js'

export interface ActiveState extends StoredState {
  contactId: string
}

export interface PlanPage {
  /** Conversations the plan matches. */
  total: number
  /** Active contacts the indexes do not hold: values that are not a state of ours. */
  unindexed: number
  /** The page's entries in order, with where each sits in the plan (for the next cursor). */
  entries: CursorPosition[]
}

export interface ListingRepository {
  /**
   * A page of the query from the selection's offset, or `limit` entries past the cursor; null
   * when no index serves the query (see listing-plan.ts).
   */
  page: (selection: ActiveSelection, stalledBefore: number, after: CursorPosition | null, limit: number) => Promise<PlanPage | null>
  /**
   * Every conversation the filters other than `q` keep, for the queries no index serves: their
   * ids a batch at a time (never all in memory at once).
   */
  candidates: (selection: ActiveSelection, stalledBefore: number) => AsyncGenerator<string[]>
  /** Active contacts the indexes do not hold: values that are not a state of ours. */
  unindexedCount: () => Promise<number>
  /** The states of these contacts, in order; missing and unreadable ones are named apart. */
  read: (contactIds: string[]) => Promise<{ states: ActiveState[], unreadable: string[], missing: string[] }>
  /**
   * Takes out of the indexes the contacts whose state turned out missing although the indexes
   * hold them (deleted or evicted behind the service's back); checked again atomically.
   */
  forgetGhosts: (contactIds: string[]) => Promise<number>
  /** Contacts whose state has not expired. */
  activeCount: () => Promise<number>
  /** Per slot, globally or for one location. */
  countSlots: (locationId: string | undefined, stalledBefore: number) => Promise<{ slots: SlotCount[], unindexed: number }>
}

/** Active contacts minus indexed ones; never below zero, even while the sweep has drift to repair. */
const unindexedCount = (difference: unknown): number => Math.max(0, Number(difference))

// Documents read per round trip.
const READ_BATCH = 500
// Candidates read at a time by a query that reads them all: at most this many documents of up
// to BODY_LIMIT_BYTES each are in memory at once for one search.
export const CANDIDATE_BATCH = 100

export function createListingRepository (redis: Redis, keys: KeySpace): ListingRepository {
  const scriptKeys = [keys.activeIndex, keys.indexMeta, keys.startedIndex, keys.events] as const
  const prefixes = [keys.activityPrefix, keys.locationPrefix]

  /** Runs a read script; if the index key holds the prototype's SET, migrates it first. */
  async function withOurIndex<T> (script: () => Promise<T>): Promise<T> {
    try {
      return await whileAvailable(script())
    } catch (err) {
      if (!isWrongType(err)) throw err
      await migrateLegacyIndex(redis, keys)
      return await whileAvailable(script())
    }
  }

  /** Takes every expired contact out of the indexes, in short scripts: Redis never blocks long. */
  async function reapExpired (): Promise<void> {
    while (await withOurIndex(() => redis.reapExpired(...scriptKeys, ...prefixes)) === REAP_BATCH);
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

  async function runPlan (plan: ListingPlan, offset: number, limit: number, after: CursorPosition | null = null): Promise<PlanPage> {
    const groups = plan.groups.flatMap((sets) => [String(sets.length), ...sets.flatMap(({ key, min, max }) => [key, min, max])])
    const cursor = after === null ? ['0', '0', ''] : [String(after.group), after.score, after.contactId]
    const reply = await withOurIndex(() => redis.listPage(...scriptKeys,
      ...prefixes, String(offset), String(limit), plan.within, ...cursor, String(plan.groups.length), ...groups))
    if (Number(reply[0]) < 0) throw new PageTooDeepError(MAX_PAGE_WALK)
    const entries: CursorPosition[] = []
    for (let i = 2; i < reply.length; i += 3) {
      entries.push({ contactId: String(reply[i]), score: String(reply[i + 1]), group: Number(reply[i + 2]) })
    }
    return { total: Number(reply[0]), unindexed: unindexedCount(reply[1]), entries }
  }

  return {
    async page (selection, stalledBefore, after, limit) {
      const plan = planListing(keys, selection, stalledBefore)
      if (plan === null) return null
      await reapExpired()
      // Past a cursor the page number means nothing.
      const offset = after === null ? (selection.page - 1) * selection.page_size : 0
      return await runPlan(plan, offset, limit, after)
    },

    async * candidates (selection, stalledBefore) {
      await reapExpired()
      for (const set of candidatePlan(keys, selection, stalledBefore).groups.flat()) yield * membersOf(set)
    },

    async unindexedCount () {
      return (await runPlan({ groups: [], within: 'desc' }, 0, 0)).unindexed
    },

    async read (contactIds) {
      const states: ActiveState[] = []
      const unreadable: string[] = []
      const missing: string[] = []
      for (let start = 0; start < contactIds.length; start += READ_BATCH) {
        const batch = contactIds.slice(start, start + READ_BATCH)
        const pipeline = redis.pipeline()
        for (const id of batch) pipeline.hmget(keys.state(id), ...ENVELOPE_FIELDS)
        const replies = (await whileAvailable(pipeline.exec())) ?? []
        replies.forEach(([err, fields], i) => {
          const contactId = batch[i] as string
          if (err && !isWrongType(err)) throw isOutage(err) ? new RedisUnavailableError({ cause: err }) : err
          const stored = err ? UNREADABLE : decodeEnvelope(fields as Array<string | null>)
          if (stored === UNREADABLE) unreadable.push(contactId)
          else if (stored === null) missing.push(contactId)
          else states.push({ ...stored, contactId })
        })
      }
      return { states, unreadable, missing }
    },

    async forgetGhosts (contactIds) {
      if (contactIds.length === 0) return 0
      return await whileAvailable(redis.removeGhosts(4 + contactIds.length, ...scriptKeys.slice(0, 3), ...contactIds.map(keys.state), keys.events, ...prefixes, ...contactIds))
    },

    async activeCount () {
      return await whileAvailable(redis.zcount(keys.activeIndex, `(${Date.now()}`, '+inf'))
    },

    async countSlots (locationId, stalledBefore) {
      await reapExpired()
      const scope = locationId === undefined ? keys.activityPrefix : keys.locationSlotPrefix(locationId)
      const reply = await withOurIndex(() => redis.countSlots(...scriptKeys,
        ...prefixes, scope, `(${stalledBefore}`, ...ALL_SLOTS.map(slotName)))
      const slots = ALL_SLOTS.map((slot, i) => ({ slot, size: Number(reply[2 * i]), stalled: Number(reply[2 * i + 1]) }))
      return { slots, unindexed: unindexedCount(reply[reply.length - 1]) }
    }
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    listingRepository: ListingRepository
  }
}

export default fp<{ keyPrefix: string }>(async function listingRepositoryPlugin (app, { keyPrefix }) {
  app.decorate('listingRepository', createListingRepository(app.redis, createKeySpace(keyPrefix)))
}, { name: 'listing-repository', dependencies: ['state-repository'] })
