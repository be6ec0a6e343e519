/**
 * The dashboard's table and header counts, computed from the active conversations: filters,
 * sort orders and pages of GET /seller/active, and the counts of GET /seller/active/summary.
 */
import { STAGES, TEMPERATURES, type Stage, type Temperature } from '../../schemas/state-document.js'
import type { Conversation } from './conversation-summary.js'

export type SortKey = 'last_activity' | 'conversation_started' | 'stage' | 'temperature'

export interface ActiveFilters {
  location_id?: string
  stage?: Stage
  temperature?: Temperature
  stalled?: boolean
  q?: string
}

export interface ActiveSelection extends ActiveFilters {
  sort: SortKey
  order: 'asc' | 'desc'
  page: number
  page_size: number
}

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

const SORT_VALUE: Record<SortKey, (conversation: Conversation) => number> = {
  last_activity: (c) => c.lastActivityMs,
  conversation_started: (c) => c.conversationStartedMs,
  stage: (c) => STAGES.indexOf(c.summary.stage),
  temperature: (c) => TEMPERATURES.indexOf(c.summary.temperature)
}

function matches (conversation: Conversation, filters: ActiveFilters): boolean {
  const { summary } = conversation
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

/** Filters, sorts (ties: most recent activity, then contact id) and cuts one page. */
export function selectPage (conversations: Conversation[], selection: ActiveSelection): ActivePage {
  const value = SORT_VALUE[selection.sort]
  const direction = selection.order === 'asc' ? 1 : -1
  const selected = conversations
    .filter((conversation) => matches(conversation, selection))
    .sort((a, b) =>
      direction * (value(a) - value(b)) ||
      b.lastActivityMs - a.lastActivityMs ||
      (a.summary.contact_id < b.summary.contact_id ? -1 : 1))

  const totalPages = Math.ceil(selected.length / selection.page_size)
  const start = (selection.page - 1) * selection.page_size
  return {
    items: selected.slice(start, start + selection.page_size),
    total_count: selected.length,
    page: selection.page,
    page_size: selection.page_size,
    total_pages: totalPages,
    has_next: selection.page < totalPages,
    has_prev: selection.page > 1
  }
}

export function countConversations (conversations: Conversation[]): ActiveCounts {
  const counts: ActiveCounts = {
    total: conversations.length,
    by_stage: Object.fromEntries(STAGES.map((stage) => [stage, 0])) as Record<Stage, number>,
    by_temperature: Object.fromEntries(TEMPERATURES.map((temperature) => [temperature, 0])) as Record<Temperature, number>,
    qualified: 0,
    stalled: 0
  }
  for (const { summary } of conversations) {
    counts.by_stage[summary.stage] += 1
    counts.by_temperature[summary.temperature] += 1
    if (summary.is_qualified) counts.qualified += 1
    if (summary.is_stalled) counts.stalled += 1
  }
  return counts
}
