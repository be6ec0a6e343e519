/**
 * What the dashboard sees of one conversation: a few fields of the document plus the derived
 * values of the contract (last activity, stalled, temperature, expiry).
 */
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { StateDocumentSchema, type Stage, type StateDocument, type Temperature } from '../../schemas/state-document.js'
import { deriveTemperature } from './temperature.js'
import type { ActiveState } from './state-store.js'
import { formatEpochMs, toEpochMs, withOffset } from './python-datetime.js'
import type { RowSource } from './row-source.js'

export interface ConversationSummary {
  contact_id: string
  location_id: string
  seller_name: string | null
  property_address: string | null
  stage: Stage
  temperature: Temperature
  current_question: number
  questions_answered: number
  is_qualified: boolean
  is_stalled: boolean
  condition: string | null
  price_expectation: number | null
  motivation: string | null
  urgency: string | null
  last_activity: string
  conversation_started: string
  expires_at: string | null
}

/** A summary with the numbers that sorting and filtering need, kept out of the response. */
export interface Conversation {
  summary: ConversationSummary
  /** The stored document, byte for byte. */
  json: string
  lastActivityMs: number
  conversationStartedMs: number
}

const stateDocument = TypeCompiler.Compile(StateDocumentSchema)

/** A stored text that is not a state document: a hand edit of the hash's `doc` field. */
export class UnreadableDocumentError extends Error {
  override name = 'UnreadableDocumentError'
}

/** A stored text as a state document; throws UnreadableDocumentError when it is not one. */
export function parseDocument (json: string): StateDocument {
  let doc: unknown
  try {
    doc = JSON.parse(json)
  } catch {
    throw new UnreadableDocumentError('not JSON')
  }
  if (!stateDocument.Check(doc)) throw new UnreadableDocumentError('not a state document')
  return doc
}

export function toConversation (state: ActiveState, nowMs: number, stallAfterMs: number): Conversation {
  return { json: state.json, ...conversationOf(parseDocument(state.json), state.contactId, state.writtenAtMs, state.expiresAtMs, nowMs, stallAfterMs) }
}

/** The row of a document (or of its row source, for a change event) and its sort keys. */
export function conversationOf (doc: RowSource, contactId: string, writtenAtMs: number, expiresAtMs: number | null, nowMs: number, stallAfterMs: number): Omit<Conversation, 'json'> {
  const interactionMs = doc.last_interaction === null ? null : toEpochMs(doc.last_interaction)
  const lastActivityMs = interactionMs ?? writtenAtMs
  const lastActivity = interactionMs !== null && doc.last_interaction !== null
    ? withOffset(doc.last_interaction)
    : formatEpochMs(writtenAtMs)
  return {
    lastActivityMs,
    conversationStartedMs: toEpochMs(doc.conversation_started) ?? 0,
    summary: {
      contact_id: contactId,
      location_id: doc.location_id,
      seller_name: doc.seller_name ?? null,
      property_address: doc.property_address ?? null,
      stage: doc.stage,
      temperature: deriveTemperature(doc),
      current_question: doc.current_question,
      questions_answered: doc.questions_answered,
      is_qualified: doc.is_qualified,
      is_stalled: isStalled(doc.is_qualified, lastActivityMs, nowMs, stallAfterMs),
      condition: doc.condition,
      price_expectation: doc.price_expectation,
      motivation: doc.motivation,
      urgency: doc.urgency,
      last_activity: lastActivity,
      conversation_started: doc.conversation_started,
      expires_at: expiresAtMs === null ? null : formatEpochMs(expiresAtMs)
    }
  }
}

/** The contract's rule: not qualified and no activity for the stall period. */
export function isStalled (qualified: boolean, lastActivityMs: number, nowMs: number, stallAfterMs: number): boolean {
  return !qualified && nowMs - lastActivityMs > stallAfterMs
}

/** The conversations of the active states, and the contacts whose document cannot be read. */
export function readConversations (states: ActiveState[], nowMs: number, stallAfterMs: number): { conversations: Conversation[], unreadable: string[] } {
  const conversations: Conversation[] = []
  const unreadable: string[] = []
  for (const state of states) {
    try {
      conversations.push(toConversation(state, nowMs, stallAfterMs))
    } catch (err) {
      if (!(err instanceof UnreadableDocumentError)) throw err
      unreadable.push(state.contactId)
    }
  }
  return { conversations, unreadable }
}
