/**
 * The dashboard's two questions, answered from the listing indexes: a page of conversations
 * (documents read only for that page), and the counts of the summary (from the sizes of the
 * index sets, no document read). Queries no index serves read every candidate instead.
 */
import type { ListingRepository } from './listing-store.js'
import { pageInfo, PageSelector, summarizeSlots, type ActiveCounts, type ActivePage, type ActiveSelection } from './active-listing.js'
import { readConversations, type Conversation } from './conversation-summary.js'
import { decodeCursor, encodeCursor } from './listing-cursor.js'
import { InvalidCursorError, PageTooDeepError } from '../errors.js'
import { MAX_PAGE_WALK } from './listing-plan.js'

/** How deep a search may page: it keeps offset + page_size summaries in memory. */
const MAX_SEARCH_DEPTH = MAX_PAGE_WALK

export interface ActiveListing extends Omit<ActivePage, 'items'> {
  items: Conversation[]
  next_cursor: string | null
  /** Active contacts left out because their stored value is not a state of ours. */
  unreadable: string[]
  unindexed: number
}

/**
 * A page of a query no index serves: the candidates are read a batch at a time, and only the
 * matches the page may show are kept, without their documents; the page's documents are read
 * again at the end. Memory: a batch of documents plus offset + page_size summaries.
 */
async function searchCandidates (listing: ListingRepository, selection: ActiveSelection, nowMs: number, stallAfterMs: number): Promise<ActiveListing> {
  // Deeper than MAX_SEARCH_DEPTH only the count is kept: an empty page past the end of the
  // results, PAGE_TOO_DEEP if it had any.
  const offset = (selection.page - 1) * selection.page_size
  const tooDeep = offset > MAX_SEARCH_DEPTH
  const selector = new PageSelector(selection, tooDeep ? 0 : offset + selection.page_size)
  const unreadable: string[] = []
  for await (const contactIds of listing.candidates(selection, nowMs - stallAfterMs)) {
    const batch = await listing.read(contactIds)
    const read = readConversations(batch.states, nowMs, stallAfterMs)
    unreadable.push(...batch.unreadable, ...read.unreadable)
    selector.add(read.conversations, (conversation) => ({ ...conversation, json: '' }))
  }
  if (tooDeep && selector.matched > offset) throw new PageTooDeepError(MAX_SEARCH_DEPTH)
  const { items, ...paging } = selector.page()
  // Read again: the documents of the page, which may have changed or gone since.
  const { states } = await listing.read(items.map((item) => item.summary.contact_id))
  const fresh = readConversations(states, nowMs, stallAfterMs)
  return { items: fresh.conversations, ...paging, next_cursor: null, unreadable, unindexed: await listing.unindexedCount() }
}

export async function listActive (listing: ListingRepository, selection: ActiveSelection, nowMs: number, stallAfterMs: number): Promise<ActiveListing> {
  const stalledBefore = nowMs - stallAfterMs
  const after = selection.cursor === undefined ? null : decodeCursor(selection.cursor, selection)
  // Past a cursor the total says nothing of what is left: one more entry tells whether there is.
  const page = await listing.page(selection, stalledBefore, after, selection.page_size + (after === null ? 0 : 1))

  if (page === null) {
    if (after !== null) throw new InvalidCursorError('a search (q), or a sort by conversation_started with a filter, reads every candidate and has no cursor')
    return await searchCandidates(listing, selection, nowMs, stallAfterMs)
  }

  const entries = page.entries.slice(0, selection.page_size)
  const paging = after === null
    ? pageInfo(page.total, selection)
    : { ...pageInfo(page.total, selection), has_next: page.entries.length > selection.page_size, has_prev: true }
  const last = entries[entries.length - 1]
  const { states, unreadable, missing } = await listing.read(entries.map((entry) => entry.contactId))
  // Expired in the instant since the script, or removed behind the service's back: the latter
  // would shorten pages and inflate counts until the sweep, so they are taken out now.
  await listing.forgetGhosts(missing)
  const read = readConversations(states, nowMs, stallAfterMs)
  return {
    items: read.conversations,
    ...paging,
    next_cursor: paging.has_next && last !== undefined ? encodeCursor(selection, last) : null,
    unreadable: [...unreadable, ...read.unreadable],
    unindexed: page.unindexed
  }
}

export async function summarizeActive (listing: ListingRepository, locationId: string | undefined, nowMs: number, stallAfterMs: number): Promise<ActiveCounts & { unindexed: number }> {
  const { slots, unindexed } = await listing.countSlots(locationId, nowMs - stallAfterMs)
  return { ...summarizeSlots(slots), unindexed }
}
