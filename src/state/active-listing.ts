/**
 * The dashboard's table and header counts, computed from the active conversations: filters,
 * sort orders and pages of GET /seller/active, and the counts of GET /seller/active/summary.
 */
import type { Static } from '@sinclair/typebox'
import type { ActiveQuerySchema } from '../../schemas/active.js'
import { STAGES, TEMPERATURES, type Stage, type Temperature } from '../../schemas/state-document.js'
import type { IndexSlot } from '../redis/keys.js'
import type { Conversation, ConversationSummary } from './conversation-summary.js'
import { BoundedTop } from './bounded-top.js'
import { comparePositions } from './listing-order.js'
import type { ListPosition } from '../redis/scripts.js'

/** A query of GET /seller/active, as its schema types it. */
type ActiveQuery = Static<typeof ActiveQuerySchema>

export type SortKey = ActiveQuery['sort']

export type ActiveFilters = Pick<ActiveQuery, 'location_id' | 'stage' | 'temperature' | 'stalled' | 'q'>

/** What a listing needs of the query: all of it but the view, which only shapes the answer. */
export type ActiveSelection = Omit<ActiveQuery, 'view'>

export interface ActivePage {
  items: Conversation[]
  total_count: number
  page: number
  page_size: number
  total_pages: number
  has_next: boolean
  has_prev: boolean
}

export interface ActiveCounts {
  total: number
  by_stage: Record<Stage, number>
  by_temperature: Record<Temperature, number>
  qualified: number
  stalled: number
}

/**
 * Where a conversation sits in the order of a listing (listing-order.ts), as listing-plan.ts
 * places it: sorted by stage or temperature, the group is the value's rank in the chosen
 * direction and each group runs from the most recent activity; otherwise one group by the sort key.
 */
function comparator (selection: ActiveSelection): (a: Conversation, b: Conversation) => number {
  const position = (group: number, score: number, c: Conversation): ListPosition => ({ group, score: String(score), contactId: c.summary.contact_id })
  let positionOf: (c: Conversation) => ListPosition
  let within = selection.order
  if (selection.sort === 'stage' || selection.sort === 'temperature') {
    const values: readonly string[] = selection.sort === 'stage' ? STAGES : TEMPERATURES
    const ranks = selection.order === 'asc' ? values : [...values].reverse()
    const valueOf = selection.sort === 'stage' ? (c: Conversation) => c.summary.stage : (c: Conversation) => c.summary.temperature
    positionOf = (c) => position(ranks.indexOf(valueOf(c)) + 1, c.lastActivityMs, c)
    within = 'desc'
  } else {
    const scoreOf = selection.sort === 'last_activity' ? (c: Conversation) => c.lastActivityMs : (c: Conversation) => c.conversationStartedMs
    positionOf = (c) => position(1, scoreOf(c), c)
  }
  const compare = comparePositions(within)
  return (a, b) => compare(positionOf(a), positionOf(b))
}

/** The paging fields of an answer. */
export function pageInfo (total: number, selection: Pick<ActiveSelection, 'page' | 'page_size'>): Omit<ActivePage, 'items'> {
  const totalPages = Math.ceil(total / selection.page_size)
  return {
    total_count: total,
    page: selection.page,
    page_size: selection.page_size,
    total_pages: totalPages,
    has_next: selection.page < totalPages,
    has_prev: selection.page > 1
  }
}

/** The fields of a row that the filters look at; a removed conversation's row has only these. */
export type FilteredFields = Pick<ConversationSummary, 'location_id' | 'stage' | 'temperature' | 'is_stalled'> &
  Partial<Pick<ConversationSummary, 'seller_name' | 'property_address' | 'contact_id'>>

/** Whether a row passes the filters (the change feed's too, which takes no q). */
export function matchesFilters (summary: FilteredFields, filters: ActiveFilters): boolean {
  if (filters.location_id !== undefined && summary.location_id !== filters.location_id) return false
  if (filters.stage !== undefined && summary.stage !== filters.stage) return false
  if (filters.temperature !== undefined && summary.temperature !== filters.temperature) return false
  if (filters.stalled !== undefined && summary.is_stalled !== filters.stalled) return false
  if (filters.q !== undefined) {
    const needle = filters.q.toLowerCase()
    const haystacks = [summary.seller_name, summary.property_address, summary.contact_id]
    if (!haystacks.some((text) => text?.toLowerCase().includes(needle))) return false
  }
  return true
}

const matches = (conversation: Conversation, filters: ActiveFilters): boolean => matchesFilters(conversation.summary, filters)

/**
 * One page of the queries no index serves, from their candidates streamed a batch at a time: it
 * counts the matches and keeps only those the page may show (offset + page_size), so its memory
 * is bounded by the page's depth, not by the number of candidates.
 */
export class PageSelector {
  private readonly top: BoundedTop<Conversation>
  private total = 0

  /** `keep`: how many of the first matches to keep; by default all the page needs. */
  constructor (private readonly selection: ActiveSelection, keep = selection.page * selection.page_size) {
    this.top = new BoundedTop(keep, comparator(selection))
  }

  /** Matches counted so far. */
  get matched (): number {
    return this.total
  }

  add (conversations: Iterable<Conversation>, keep: (conversation: Conversation) => Conversation = (c) => c): void {
    for (const conversation of conversations) {
      if (!matches(conversation, this.selection)) continue
      this.total++
      this.top.add(keep(conversation))
    }
  }

  page (): ActivePage {
    const start = (this.selection.page - 1) * this.selection.page_size
    return { items: this.top.sorted().slice(start), ...pageInfo(this.total, this.selection) }
  }
}

/** Filters, sorts and cuts one page, in memory: for the queries no index serves. */
export function selectPage (conversations: Conversation[], selection: ActiveSelection): ActivePage {
  const selector = new PageSelector(selection)
  selector.add(conversations)
  return selector.page()
}

/** One slot of the listing indexes and what it holds. */
export interface SlotCount {
  slot: IndexSlot
  size: number
  /** Unqualified contacts of the slot with no activity since the stalled cutoff. */
  stalled: number
}

/** The summary's counts from the sizes of the slots. */
export function summarizeSlots (slots: SlotCount[]): ActiveCounts {
  const counts: ActiveCounts = {
    total: 0,
    by_stage: Object.fromEntries(STAGES.map((stage) => [stage, 0])) as Record<Stage, number>,
    by_temperature: Object.fromEntries(TEMPERATURES.map((temperature) => [temperature, 0])) as Record<Temperature, number>,
    qualified: 0,
    stalled: 0
  }
  for (const { slot, size, stalled } of slots) {
    counts.total += size
    counts.by_stage[slot.stage] += size
    counts.by_temperature[slot.temperature] += size
    if (slot.qualified) counts.qualified += size
    counts.stalled += stalled
  }
  return counts
}
