/**
 * Made-up but plausible sellers for `npm run demo -- --seed N`: names, addresses, CRM locations,
 * and conversations at every stage, hot, warm and cold, some gone quiet for days (stalled).
 * Deterministic for a given seed number, so a second --seed replaces the same contacts.
 */
const FIRST = ['Dana', 'Marcus', 'Priya', 'Luis', 'Grace', 'Tom', 'Aisha', 'Ben', 'Carmen', 'Derek', 'Elena', 'Frank', 'Hannah', 'Ivan', 'Julia', 'Kevin', 'Lena', 'Mateo', 'Nora', 'Omar', 'Paula', 'Ray', 'Sofia', 'Trent']
const LAST = ['Whitfield', 'Okafor', 'Nguyen', 'Alvarez', 'Kim', 'Brennan', 'Patel', 'Hughes', 'Rossi', 'Carter', 'Novak', 'Larsen', 'Moreno', 'Fischer', 'Reyes', 'Walsh', 'Schmidt', 'Baker']
const STREETS = ['Elm St', 'Maple Ave', 'Cedar Ln', 'Oak Dr', 'Birch Rd', 'Willow Way', 'Lakeview Blvd', 'Sunset Ave', 'Hickory Ct', 'Pine St', 'Meadow Ln', 'Ridge Rd']
const CITIES = ['Tulsa, OK', 'Dayton, OH', 'Mesa, AZ', 'Boise, ID', 'Macon, GA', 'Tacoma, WA', 'Wichita, KS', 'Reno, NV', 'Akron, OH', 'Lubbock, TX']
export const LOCATIONS = ['loc_tulsa', 'loc_dayton', 'loc_mesa', 'loc_boise', 'loc_macon']
const CONDITIONS = ['needs_major_repairs', 'needs_minor_repairs', 'move_in_ready']
const MOTIVATIONS = ['relocation', 'divorce', 'inherited', 'downsizing', 'financial', 'tired_landlord']
const URGENCIES = ['high', 'medium', 'low']
const STAGE_FLOW = ['Q0', 'Q1', 'Q2', 'Q3', 'Q4', 'QUALIFIED'] as const
const HOUR = 3_600_000

/** A small seeded generator (mulberry32): the same seed gives the same sellers. */
export function random (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const pick = <T>(rand: () => number, items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T

/** Python's isoformat() of a UTC instant, naive, with microseconds. */
export const isoformat = (ms: number): string => new Date(ms).toISOString().replace('Z', '000')

export const seededContactId = (i: number): string => `demo-seed-${String(i).padStart(4, '0')}`

/** A conversation at `step` of the flow (0 = Q0 ... 5 = QUALIFIED), its answers filled so far. */
export function conversationAt (step: number, base: Record<string, unknown>, rand: () => number, lastMs: number): Record<string, unknown> {
  const answered = Math.min(step, 4)
  const offer = answered === 4 ? rand() < 0.6 : null
  const timeline = answered === 4 ? rand() < 0.7 : null
  const history = Array.from({ length: Math.min(2 * step + 1, 20) }, (_, k) => ({
    role: k % 2 === 0 ? 'user' : 'assistant',
    content: k % 2 === 0 ? 'Seller reply' : 'Jorge asks the next question',
    timestamp: isoformat(lastMs - (2 * step - k) * 60_000)
  }))
  return {
    ...base,
    current_question: Math.min(step, 4),
    questions_answered: answered,
    is_qualified: step === 5,
    stage: STAGE_FLOW[step],
    condition: answered >= 1 ? pick(rand, CONDITIONS) : null,
    price_expectation: answered >= 2 ? 60_000 + Math.round(rand() * 340) * 1000 : null,
    motivation: answered >= 3 ? pick(rand, MOTIVATIONS) : null,
    urgency: answered >= 3 ? pick(rand, URGENCIES) : null,
    offer_accepted: step === 5 ? true : offer,
    timeline_acceptable: step === 5 ? true : timeline,
    scheduling_offered: step === 5,
    appointment_booked: step === 5 && rand() < 0.5,
    appointment_id: null,
    conversation_history: history,
    extracted_data: {},
    last_interaction: isoformat(lastMs)
  }
}

/** Seller number i of a seeded demo, as of `nowMs`. */
export function seededSeller (i: number, nowMs: number): { contactId: string, state: Record<string, unknown>, step: number } {
  const rand = random(i + 1)
  // Most are in flight; a tenth qualified; a sixth gone quiet 3 to 10 days ago (stalled).
  const roll = rand()
  const stalled = roll < 0.16
  const step = roll > 0.9 ? 5 : Math.floor(rand() * 5)
  const lastMs = stalled ? nowMs - (72 + rand() * 168) * HOUR : nowMs - rand() * 36 * HOUR
  const started = lastMs - (1 + rand() * 48) * HOUR
  const base = {
    location_id: pick(rand, LOCATIONS),
    seller_name: `${pick(rand, FIRST)} ${pick(rand, LAST)}`,
    property_address: `${100 + Math.floor(rand() * 9800)} ${pick(rand, STREETS)}, ${pick(rand, CITIES)}`,
    conversation_started: isoformat(started)
  }
  const state = conversationAt(step, base, rand, lastMs)
  // The bot marks some quiet conversations STALLED itself.
  if (stalled && step < 5 && rand() < 0.5) state.stage = 'STALLED'
  // The bot's own scoring, where it sent one: warm and hot leads before the last answer too.
  if (step >= 2 && step < 5 && rand() < 0.4) state.temperature = step >= 3 && rand() < 0.4 ? 'HOT' : 'WARM'
  return { contactId: seededContactId(i), state, step }
}
