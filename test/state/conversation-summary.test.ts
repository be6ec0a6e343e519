/**
 * What the dashboard sees of one stored state: the fields it shows and the derived values
 * (last activity, stalled, temperature, expiry).
 */
import t from 'tap'
import { botState } from '../fixtures/bot-state.js'
import type { StateDocument } from '../../schemas/state-document.js'
import { readConversations, toConversation, UnreadableDocumentError } from '../../src/state/conversation-summary.js'
import { deriveTemperature } from '../../src/state/temperature.js'
import type { ActiveState } from '../../src/state/listing-store.js'

const HOUR_MS = 3_600_000
const WRITTEN_AT = Date.UTC(2026, 0, 23, 12, 0, 0, 250)
const EXPIRES_AT = WRITTEN_AT + 604_800_000

function state (overrides: Record<string, unknown> = {}, extra: Partial<ActiveState> = {}): ActiveState {
  return {
    contactId: 'contact-1',
    json: JSON.stringify(botState(overrides)),
    etag: 'tag',
    writtenAtMs: WRITTEN_AT,
    expiresAtMs: EXPIRES_AT,
    ...extra
  }
}

function doc (overrides: Record<string, unknown> = {}): StateDocument {
  return botState(overrides) as unknown as StateDocument
}

t.test('the summary takes its fields from the document', async (t) => {
  const stored = state({
    location_id: 'loc-7',
    seller_name: 'Jane Smith',
    property_address: '12 Maple Ave',
    stage: 'Q3',
    current_question: 3,
    questions_answered: 2,
    condition: 'needs_major_repairs',
    price_expectation: 250000,
    motivation: 'relocating',
    urgency: 'high',
    temperature: 'warm',
    last_interaction: '2026-01-23T10:30:00.123456',
    conversation_started: '2026-01-23T10:29:00',
    lead_source: 'zillow'
  })
  const conversation = toConversation(stored, WRITTEN_AT, 48 * HOUR_MS)
  t.strictSame(conversation.summary, {
    contact_id: 'contact-1',
    location_id: 'loc-7',
    seller_name: 'Jane Smith',
    property_address: '12 Maple Ave',
    stage: 'Q3',
    temperature: 'WARM',
    current_question: 3,
    questions_answered: 2,
    is_qualified: false,
    is_stalled: false,
    condition: 'needs_major_repairs',
    price_expectation: 250000,
    motivation: 'relocating',
    urgency: 'high',
    last_activity: '2026-01-23T10:30:00.123456+00:00',
    conversation_started: '2026-01-23T10:29:00',
    expires_at: '2026-01-30T12:00:00.250+00:00'
  })
  t.equal(conversation.json, stored.json, 'the whole document as stored, unknown fields included')
  t.ok(Math.abs(conversation.lastActivityMs - (Date.UTC(2026, 0, 23, 10, 30, 0) + 123.456)) < 1e-4, 'microseconds kept for ordering')
  t.equal(conversation.conversationStartedMs, Date.UTC(2026, 0, 23, 10, 29, 0))
})

t.test('contact_id comes from the index entry; optional fields default to null', async (t) => {
  const { summary } = toConversation(state({}, { contactId: 'from-index' }), WRITTEN_AT, HOUR_MS)
  t.equal(summary.contact_id, 'from-index')
  t.equal(summary.seller_name, null)
  t.equal(summary.property_address, null)
  const explicitNulls = toConversation(state({ seller_name: null, property_address: null }), WRITTEN_AT, HOUR_MS).summary
  t.equal(explicitNulls.seller_name, null)
  t.equal(explicitNulls.property_address, null)
})

t.test('last_activity: last_interaction with an offset, else the write time', async (t) => {
  const at = (lastInteraction: string | null) => toConversation(state({ last_interaction: lastInteraction }), WRITTEN_AT, HOUR_MS)

  const naive = at('2026-01-20T08:00:00.654321')
  t.equal(naive.summary.last_activity, '2026-01-20T08:00:00.654321+00:00')
  t.ok(Math.abs(naive.lastActivityMs - (Date.UTC(2026, 0, 20, 8, 0, 0) + 654.321)) < 1e-4, 'read as UTC, microseconds kept')

  const aware = at('2026-01-20T08:00:00-05:00')
  t.equal(aware.summary.last_activity, '2026-01-20T08:00:00-05:00', 'kept as sent')
  t.equal(aware.lastActivityMs, Date.UTC(2026, 0, 20, 13, 0, 0), 'the offset counts for the instant')

  const zulu = at('2026-01-20T08:00:00Z')
  t.equal(zulu.summary.last_activity, '2026-01-20T08:00:00Z')

  const none = at(null)
  t.equal(none.summary.last_activity, '2026-01-23T12:00:00.250+00:00', 'the write time, with an offset')
  t.equal(none.lastActivityMs, WRITTEN_AT)
})

t.test('conversation_started is shown as sent and sorted by its instant', async (t) => {
  const { summary, conversationStartedMs } = toConversation(
    state({ conversation_started: '2026-01-01T10:00:00.5+03:00' }), WRITTEN_AT, HOUR_MS)
  t.equal(summary.conversation_started, '2026-01-01T10:00:00.5+03:00')
  t.equal(conversationStartedMs, Date.UTC(2026, 0, 1, 7, 0, 0, 500))
})

t.test('is_stalled: not qualified and last activity older than the limit', async (t) => {
  const last = Date.UTC(2026, 0, 23, 10, 0, 0)
  const lastText = '2026-01-23T10:00:00'
  const stalled = (now: number, overrides: Record<string, unknown> = {}) =>
    toConversation(state({ last_interaction: lastText, ...overrides }), now, HOUR_MS).summary.is_stalled

  t.equal(stalled(last + HOUR_MS + 1), true, 'one millisecond past the limit')
  t.equal(stalled(last + HOUR_MS), false, 'exactly at the limit: not older')
  t.equal(stalled(last + 10 * 60_000), false, 'recent')
  t.equal(stalled(last - HOUR_MS), false, 'an activity in the future')
  t.equal(stalled(last + 100 * HOUR_MS, { is_qualified: true, stage: 'QUALIFIED' }), false, 'a qualified conversation never stalls')
  t.equal(stalled(last + 100 * HOUR_MS, { stage: 'STALLED' }), true)
  t.equal(stalled(last + 2 * HOUR_MS, { last_interaction: '2026-01-23T11:30:00+00:00' }), false, 'the latest activity counts')
  t.equal(stalled(last + 2 * HOUR_MS, { last_interaction: '2026-01-23T12:30:00+02:00' }), true, 'an offset moves the instant')

  const written = (now: number) =>
    toConversation(state({ last_interaction: null }), now, HOUR_MS).summary.is_stalled
  t.equal(written(WRITTEN_AT + HOUR_MS + 1), true, 'without last_interaction, the write time counts')
  t.equal(written(WRITTEN_AT + 60_000), false)
})

t.test('temperature: the stored one upper-cased, else the bot\'s rule', async (t) => {
  const four = { questions_answered: 4, current_question: 4 }
  t.equal(deriveTemperature(doc({ temperature: 'hot' })), 'HOT')
  t.equal(deriveTemperature(doc({ temperature: 'Warm', ...four, offer_accepted: true, timeline_acceptable: true })), 'WARM', 'the bot\'s own scoring wins')
  t.equal(deriveTemperature(doc({ temperature: 'cOLD' })), 'COLD')

  t.equal(deriveTemperature(doc({ ...four, offer_accepted: true, timeline_acceptable: true })), 'HOT')
  t.equal(deriveTemperature(doc({ ...four, temperature: null, offer_accepted: true, timeline_acceptable: true })), 'HOT', 'null is no temperature')
  t.equal(deriveTemperature(doc({ ...four, offer_accepted: true, timeline_acceptable: false })), 'WARM')
  t.equal(deriveTemperature(doc({ ...four, offer_accepted: false, timeline_acceptable: true })), 'WARM')
  t.equal(deriveTemperature(doc({ ...four, offer_accepted: true, timeline_acceptable: null })), 'WARM')
  t.equal(deriveTemperature(doc({ ...four, offer_accepted: null, timeline_acceptable: null })), 'WARM')
  for (const answered of [0, 1, 2, 3]) {
    t.equal(deriveTemperature(doc({ questions_answered: answered, offer_accepted: true, timeline_acceptable: true })), 'COLD', `${answered} answered`)
  }
  t.equal(toConversation(state({ temperature: 'hot' }), WRITTEN_AT, HOUR_MS).summary.temperature, 'HOT', 'the summary uses it')
  t.equal(toConversation(state({ ...four, offer_accepted: true, timeline_acceptable: true }), WRITTEN_AT, HOUR_MS).summary.temperature, 'HOT')
})

t.test('expires_at: the index\'s expiry with an offset, or null for a state without a TTL', async (t) => {
  t.equal(toConversation(state({}, { expiresAtMs: Date.UTC(2026, 0, 30, 0, 0, 0) }), WRITTEN_AT, HOUR_MS).summary.expires_at, '2026-01-30T00:00:00.000+00:00')
  t.equal(toConversation(state({}, { expiresAtMs: null }), WRITTEN_AT, HOUR_MS).summary.expires_at, null)
})

t.test('a stored text that is not a state document cannot be read', async (t) => {
  for (const json of ['{"location_id": ', '{}', '{"location_id": "x", "stage": "Q2"}', '[]']) {
    t.throws(() => toConversation(state({}, { json }), WRITTEN_AT, HOUR_MS), UnreadableDocumentError, json)
  }
})

t.test('readConversations skips the unreadable documents and names their contacts', async (t) => {
  const good = state({}, { contactId: 'good' })
  const { conversations, unreadable } = readConversations([good, state({}, { contactId: 'edited', json: '{}' })], WRITTEN_AT, HOUR_MS)
  t.strictSame(conversations.map((c) => c.summary.contact_id), ['good'])
  t.strictSame(unreadable, ['edited'])
})
