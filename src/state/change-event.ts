/**
 * What the change feed sends for one entry of the change stream: the kind, the contact's listing
 * row and where it was before a write moved it, so that a filtered dashboard can tell that a row
 * left its filter. A write's row is built by the listing's own rule (conversation-summary.ts)
 * from the row fields the entry carries; a removed conversation's row holds what the indexes
 * knew of it: location, stage, temperature, qualified, stalled and last activity.
 */
import type { Stage, Temperature } from '../../schemas/state-document.js'
import type { ChangeEntry, ChangeKind } from '../redis/change-stream.js'
import { matchesFilters, type ActiveFilters, type FilteredFields } from './active-listing.js'
import { conversationOf, isStalled, type ConversationSummary } from './conversation-summary.js'
import { formatEpochMs } from './python-datetime.js'
import type { RowSource } from './row-source.js'

/** Where a conversation sits in the listing (its filtered fields), from the indexes' meta. */
export interface ListingPosition extends FilteredFields {
  contact_id: string
  is_qualified: boolean
  last_activity: string | null
}

export interface ChangeEvent {
  kind: ChangeKind
  contact_id: string
  /** created/updated: the whole listing row; deleted/expired: its position when it left. */
  row: ConversationSummary | ListingPosition
  /** updated: where the conversation was before this write. */
  previous: ListingPosition | null
}

export type FeedFilters = Omit<ActiveFilters, 'q'>

function positionOf (contactId: string, meta: string, activityMs: number | null, nowMs: number, stallAfterMs: number): ListingPosition {
  const separator = meta.indexOf('|')
  const [stage, temperature, qualified] = meta.slice(0, separator).split(':') as [Stage, Temperature, string]
  const isQualified = qualified === 'q'
  return {
    contact_id: contactId,
    location_id: meta.slice(separator + 1),
    stage,
    temperature,
    is_qualified: isQualified,
    is_stalled: activityMs !== null && isStalled(isQualified, activityMs, nowMs, stallAfterMs),
    last_activity: activityMs === null ? null : formatEpochMs(activityMs)
  }
}

export function changeEventOf (entry: ChangeEntry, nowMs: number, stallAfterMs: number): ChangeEvent {
  const previous = entry.previousMeta === undefined
    ? null
    : positionOf(entry.contactId, entry.previousMeta, entry.previousActivityMs ?? null, nowMs, stallAfterMs)
  const row = entry.rowSource === undefined
    ? positionOf(entry.contactId, entry.meta, entry.activityMs, nowMs, stallAfterMs)
    : conversationOf(JSON.parse(entry.rowSource) as RowSource, entry.contactId, entry.writtenAtMs ?? 0, entry.expiresAtMs ?? null, nowMs, stallAfterMs).summary
  return { kind: entry.kind, contact_id: entry.contactId, row, previous }
}

/** A client with these filters gets the event when the conversation is, or was, among its rows. */
export function concerns (event: ChangeEvent, filters: FeedFilters): boolean {
  return matchesFilters(event.row, filters) || (event.previous !== null && matchesFilters(event.previous, filters))
}
