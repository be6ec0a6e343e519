/**
 * What the dashboard's reads need of storage, in their own terms: the listing repository (plugins/
 * listing-repository.ts) implements it over Redis; active-conversations.ts uses it.
 */
import type { ListPosition } from '../redis/scripts.js'
import type { ActiveSelection, SlotCount } from './active-listing.js'
import type { ActiveState } from './state-store.js'

export type { ActiveState } from './state-store.js'

export interface PlanPage {
  /** Conversations the plan matches. */
  total: number
  /** Active contacts the indexes do not hold: values that are not a state of ours. */
  unindexed: number
  /** The page's entries in order, with where each sits in the plan (for the next cursor). */
  entries: ListPosition[]
}

export interface ListingRepository {
  /**
   * A page of the query from the selection's offset, or `limit` entries past the cursor; null
   * when no index serves the query (see listing-plan.ts).
   */
  page: (selection: ActiveSelection, stalledBefore: number, after: ListPosition | null, limit: number) => Promise<PlanPage | null>
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
