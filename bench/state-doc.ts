/**
 * Realistic ~2 KB state documents as the Python bot sends them: `dataclasses.asdict(state)`
 * through `json.dumps` (", " and ": " separators), datetimes as `isoformat()` strings, the last
 * 20 messages of the conversation, the extracted data. Deterministic for a given index.
 */
export const LOCATIONS = Array.from({ length: 20 }, (_, i) => `loc-${String(i + 1).padStart(2, '0')}`)

const HOUR_MS = 3_600_000

/** Python `json.dumps` with its default separators. */
export function pythonJson (value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`
  const members = Object.entries(value).map(([key, item]) => `${JSON.stringify(key)}: ${pythonJson(item)}`)
  return `{${members.join(', ')}}`
}

/** Python `datetime.isoformat()`: naive, or with `+00:00`; microseconds only when not zero. */
export function isoformat (ms: number, micros: number, withOffset: boolean): string {
  const base = new Date(ms).toISOString().slice(0, 19)
  const fraction = micros === 0 ? '' : `.${String(micros).padStart(6, '0')}`
  return `${base}${fraction}${withOffset ? '+00:00' : ''}`
}

/** A small deterministic generator (mulberry32), so that a run is reproducible. */
function random (seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6D2B79F5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const pick = <T>(rnd: () => number, items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T

// SMS-length lines: the bot keeps the last 20 messages as {role, content}.
const USER_LINES = [
  'Roof is old, kitchen needs work',
  'Hoping for around 180k',
  'Relocating for work in March',
  'Foundation has some cracks',
  'How does the cash offer work?',
  'Tuesday afternoon works for me'
]
const BOT_LINES = [
  'What condition is the house in?',
  'What price are you hoping for?',
  'What has you thinking of selling?',
  'Would a close in 2-3 weeks work?',
  'Great, can we set up a walkthrough?',
  'No pressure. Still a good time?'
]
const STAGE_WEIGHTS: Array<[string, number]> = [
  ['Q0', 5], ['Q1', 20], ['Q2', 20], ['Q3', 15], ['Q4', 15], ['QUALIFIED', 10], ['STALLED', 15]
]
const TEMPERATURE_SPELLINGS = ['HOT', 'hot', 'WARM', 'Warm', 'COLD', 'cold']

function weightedStage (rnd: () => number): string {
  let roll = rnd() * 100
  for (const [stage, weight] of STAGE_WEIGHTS) {
    roll -= weight
    if (roll < 0) return stage
  }
  return 'Q1'
}

function history (rnd: () => number): Array<Record<string, unknown>> {
  return Array.from({ length: 20 }, (_, i) => i % 2 === 0
    ? { role: 'user', content: pick(rnd, USER_LINES) }
    : { role: 'assistant', content: pick(rnd, BOT_LINES) })
}

/**
 * The state of contact `contactId`, number `index` of the population, relative to `nowMs`: varied
 * stages, temperatures (the bot's own or none), 20 locations, and last interactions spread over
 * the last 5 days (so that some conversations are stalled, older than 48 h).
 */
export function stateDocument (contactId: string, index: number, nowMs: number): Record<string, unknown> {
  const rnd = random(index + 1)
  const stage = weightedStage(rnd)
  const qualified = stage === 'QUALIFIED'
  const question = qualified ? 4 : stage === 'STALLED' ? Math.floor(rnd() * 5) : Number(stage.slice(1))
  const answered = qualified ? 4 : Math.max(0, question - 1)
  const lastMs = nowMs - Math.floor(rnd() * 120 * HOUR_MS)
  const startedMs = lastMs - Math.floor(rnd() * 48 * HOUR_MS) - HOUR_MS
  const withOffset = rnd() < 0.3
  const noInteraction = rnd() < 0.02
  const doc: Record<string, unknown> = {
    contact_id: contactId,
    location_id: LOCATIONS[index % LOCATIONS.length],
    current_question: question,
    questions_answered: answered,
    is_qualified: qualified,
    stage,
    condition: answered >= 1 ? pick(rnd, ['needs_major_repairs', 'needs_minor_repairs', 'move_in_ready']) : null,
    price_expectation: answered >= 2 ? 90_000 + Math.floor(rnd() * 300) * 1000 : null,
    motivation: answered >= 3 ? pick(rnd, ['relocation', 'divorce', 'inherited', 'downsizing', 'financial']) : null,
    urgency: answered >= 3 ? pick(rnd, ['high', 'medium', 'low']) : null,
    offer_accepted: answered >= 4 ? qualified || rnd() < 0.5 : null,
    timeline_acceptable: answered >= 4 ? qualified || rnd() < 0.5 : null,
    scheduling_offered: qualified,
    appointment_booked: qualified && rnd() < 0.5,
    appointment_id: null,
    conversation_history: history(rnd),
    extracted_data: {
      roof_age_years: 5 + Math.floor(rnd() * 25),
      bedrooms: 2 + Math.floor(rnd() * 4),
      asked_price_at: isoformat(startedMs + 600_000, Math.floor(rnd() * 1_000_000), false),
      source: 'sms_inbound'
    },
    last_interaction: noInteraction ? null : isoformat(lastMs, Math.floor(rnd() * 1_000_000), withOffset),
    conversation_started: isoformat(startedMs, Math.floor(rnd() * 1_000_000), withOffset),
    seller_name: `Seller ${index}`,
    property_address: `${100 + (index % 9000)} Elm St, Tulsa, OK`
  }
  if (rnd() < 0.6) doc.temperature = pick(rnd, TEMPERATURE_SPELLINGS)
  return doc
}

/**
 * A document split around its contact id, so that a load generator can build the body of any
 * contact with two concatenations: `before + contactId + after`.
 */
export interface DocumentTemplate { before: string, after: string }

export function documentTemplate (index: number, nowMs: number): DocumentTemplate {
  const marker = 'CONTACT_ID_MARKER'
  const [before, after] = pythonJson(stateDocument(marker, index, nowMs)).split(marker)
  return { before: before as string, after: after as string }
}
