/**
 * The fields of a document that its listing row is made of (conversation-summary.ts): what a
 * change event carries instead of the whole document, so that the change stream's entries stay
 * small whatever the conversation's history holds.
 */
import type { StateDocument } from '../../schemas/state-document.js'

export const ROW_SOURCE_FIELDS = [
  'location_id', 'seller_name', 'property_address', 'stage', 'temperature', 'current_question', 'questions_answered',
  'is_qualified', 'condition', 'price_expectation', 'motivation', 'urgency', 'offer_accepted', 'timeline_acceptable',
  'last_interaction', 'conversation_started'
] as const

export type RowSource = Pick<StateDocument, typeof ROW_SOURCE_FIELDS[number]>

/** The row's fields of a document, as JSON. */
export function rowSourceOf (doc: StateDocument): string {
  const source: Record<string, unknown> = {}
  for (const field of ROW_SOURCE_FIELDS) source[field] = doc[field]
  return JSON.stringify(source)
}
