/**
 * The dashboard's two questions, answered from the listing indexes: a page of conversations
 * (documents read only for that page), and the counts of the summary (from the sizes of the
 * index sets, no document read). Queries no index serves read every candidate instead.
 */
import type { ListingRepository } from '../plugins/listing-repository.js'
import { pageInfo, selectPage, summarizeSlots, type ActiveCounts, type ActivePage, type ActiveSelection } from './active-listing.js'
import { readConversations, type Conversation } from './conversation-summary.js'

export interface ActiveListing extends Omit<ActivePage, 'items'> {
  items: Conversation[]
  /** Active contacts left out because their stored value is not a state of ours. */
  unreadable: string[]
  unindexed: number
}

export async function listActive (listing: ListingRepository, selection: ActiveSelection, nowMs: number, stallAfterMs: number): Promise<ActiveListing> {
  const stalledBefore = nowMs - stallAfterMs
  const page = await listing.page(selection, stalledBefore)
  const found = page ?? await listing.candidates(selection, stalledBefore)
  const { states, unreadable } = await listing.read(found.contactIds)
  const read = readConversations(states, nowMs, stallAfterMs)
  const skipped = { unreadable: [...unreadable, ...read.unreadable], unindexed: found.unindexed }
  if (page !== null) return { items: read.conversations, ...pageInfo(page.total, selection), ...skipped }
  return { ...selectPage(read.conversations, selection), ...skipped }
}

export async function summarizeActive (listing: ListingRepository, locationId: string | undefined, nowMs: number, stallAfterMs: number): Promise<ActiveCounts & { unindexed: number }> {
  const { slots, unindexed } = await listing.countSlots(locationId, nowMs - stallAfterMs)
  return { ...summarizeSlots(slots), unindexed }
}
