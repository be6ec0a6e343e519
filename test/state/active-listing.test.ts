/**
 * The dashboard's table and counts as pure functions: filters, sort orders, pages, and the
 * counts by stage and temperature. A randomized test compares selectPage with a brute force.
 */
import t from 'tap'
import { prng } from '../fixtures/prng.js'
import { selectPage, summarizeSlots, type ActiveSelection, type SortKey } from '../../src/state/active-listing.js'
import type { Conversation, ConversationSummary } from '../../src/state/conversation-summary.js'

type Stage = ConversationSummary['stage']
type Temperature = ConversationSummary['temperature']

/** The orders the dashboard expects, written out independently of the source. */
const STAGE_ORDER: Stage[] = ['Q0', 'Q1', 'Q2', 'Q3', 'Q4', 'QUALIFIED', 'STALLED']
const TEMPERATURE_ORDER: Temperature[] = ['COLD', 'WARM', 'HOT']
const SORT_KEYS: SortKey[] = ['last_activity', 'conversation_started', 'stage', 'temperature']

interface Fields extends Partial<ConversationSummary> {
  contact_id: string
  lastActivityMs?: number
  conversationStartedMs?: number
}

function conversation ({ lastActivityMs = 0, conversationStartedMs = 0, ...fields }: Fields): Conversation {
  const summary: ConversationSummary = {
    location_id: 'loc-1',
    seller_name: null,
    property_address: null,
    stage: 'Q1',
    temperature: 'COLD',
    current_question: 1,
    questions_answered: 0,
    is_qualified: false,
    is_stalled: false,
    condition: null,
    price_expectation: null,
    motivation: null,
    urgency: null,
    last_activity: new Date(lastActivityMs).toISOString(),
    conversation_started: new Date(conversationStartedMs).toISOString(),
    expires_at: null,
    ...fields
  }
  return { summary, json: JSON.stringify({ contact_id: fields.contact_id }), lastActivityMs, conversationStartedMs }
}

function selection (overrides: Partial<ActiveSelection> = {}): ActiveSelection {
  return { sort: 'last_activity', order: 'desc', page: 1, page_size: 20, ...overrides }
}

function ids (conversations: Conversation[], overrides: Partial<ActiveSelection> = {}): string[] {
  return selectPage(conversations, selection(overrides)).items.map((item) => item.summary.contact_id)
}

const sample: Conversation[] = [
  conversation({ contact_id: 'a-1', location_id: 'loc-1', stage: 'Q1', temperature: 'HOT', seller_name: 'Jane SMITH', property_address: '12 Maple Ave', lastActivityMs: 5000, conversationStartedMs: 100 }),
  conversation({ contact_id: 'a-2', location_id: 'loc-1', stage: 'Q3', temperature: 'COLD', is_stalled: true, seller_name: 'Bob Jones', property_address: '9 Oak Street', motivation: 'smith family', lastActivityMs: 1000, conversationStartedMs: 400 }),
  conversation({ contact_id: 'Lead-XYZ', location_id: 'loc-2', stage: 'Q3', temperature: 'WARM', seller_name: 'Ann Smithers', lastActivityMs: 4000, conversationStartedMs: 300 }),
  conversation({ contact_id: 'b-4', location_id: 'loc-2', stage: 'QUALIFIED', is_qualified: true, temperature: 'HOT', property_address: '1 maple court', lastActivityMs: 3000, conversationStartedMs: 200 }),
  conversation({ contact_id: 'b-5', location_id: 'loc-3', stage: 'Q1', temperature: 'COLD', is_stalled: true, lastActivityMs: 2000, conversationStartedMs: 500 })
]

t.test('filters', async (t) => {
  const sorted = (overrides: Partial<ActiveSelection>): string[] => ids(sample, overrides).sort()
  t.strictSame(sorted({}), ['Lead-XYZ', 'a-1', 'a-2', 'b-4', 'b-5'])
  t.strictSame(sorted({ location_id: 'loc-1' }), ['a-1', 'a-2'])
  t.strictSame(sorted({ location_id: 'LOC-1' }), [], 'location ids are compared exactly')
  t.strictSame(sorted({ stage: 'Q3' }), ['Lead-XYZ', 'a-2'])
  t.strictSame(sorted({ stage: 'Q0' }), [])
  t.strictSame(sorted({ temperature: 'HOT' }), ['a-1', 'b-4'])
  t.strictSame(sorted({ temperature: 'COLD' }), ['a-2', 'b-5'])
  t.strictSame(sorted({ stalled: true }), ['a-2', 'b-5'])
  t.strictSame(sorted({ stalled: false }), ['Lead-XYZ', 'a-1', 'b-4'])
  t.strictSame(sorted({ q: 'smith' }), ['Lead-XYZ', 'a-1'], 'seller_name, any case; not motivation')
  t.strictSame(sorted({ q: 'MAPLE' }), ['a-1', 'b-4'], 'property_address, any case')
  t.strictSame(sorted({ q: 'lead-x' }), ['Lead-XYZ'], 'contact_id, any case')
  t.strictSame(sorted({ q: 'loc-' }), [], 'location_id is not searched')
  t.strictSame(sorted({ q: 'oak st' }), ['a-2'])
  t.strictSame(sorted({ location_id: 'loc-2', stage: 'Q3' }), ['Lead-XYZ'], 'filters combine')
  t.strictSame(sorted({ q: 'maple', stalled: false, temperature: 'HOT', location_id: 'loc-2' }), ['b-4'])
  t.strictSame(sorted({ stage: 'Q1', stalled: true }), ['b-5'])
})

t.test('sort orders', async (t) => {
  t.strictSame(ids(sample), ['a-1', 'Lead-XYZ', 'b-4', 'b-5', 'a-2'], 'last_activity desc: newest first')
  t.strictSame(ids(sample, { order: 'asc' }), ['a-2', 'b-5', 'b-4', 'Lead-XYZ', 'a-1'])
  t.strictSame(ids(sample, { sort: 'conversation_started' }), ['b-5', 'a-2', 'Lead-XYZ', 'b-4', 'a-1'])
  t.strictSame(ids(sample, { sort: 'conversation_started', order: 'asc' }), ['a-1', 'b-4', 'Lead-XYZ', 'a-2', 'b-5'])
  // Ties (two Q1, two Q3; two HOT, two COLD): the more recent activity first, in either order.
  t.strictSame(ids(sample, { sort: 'stage', order: 'asc' }), ['a-1', 'b-5', 'Lead-XYZ', 'a-2', 'b-4'])
  t.strictSame(ids(sample, { sort: 'stage', order: 'desc' }), ['b-4', 'Lead-XYZ', 'a-2', 'a-1', 'b-5'])
  t.strictSame(ids(sample, { sort: 'temperature', order: 'desc' }), ['a-1', 'b-4', 'Lead-XYZ', 'b-5', 'a-2'])
  t.strictSame(ids(sample, { sort: 'temperature', order: 'asc' }), ['b-5', 'a-2', 'Lead-XYZ', 'a-1', 'b-4'])
})

t.test('every stage sorts in the order of the qualification', async (t) => {
  const all = [...STAGE_ORDER].reverse().map((stage, i) => conversation({ contact_id: `s-${stage}`, stage, lastActivityMs: i }))
  t.strictSame(ids(all, { sort: 'stage', order: 'asc' }), STAGE_ORDER.map((stage) => `s-${stage}`))
  t.strictSame(ids(all, { sort: 'stage', order: 'desc' }), [...STAGE_ORDER].reverse().map((stage) => `s-${stage}`))
})

t.test('a full tie is broken by contact id (byte order), in the direction of the order', async (t) => {
  const tied = ['m', 'B', 'a', 'z-9', 'z-10'].map((id) => conversation({ contact_id: id, lastActivityMs: 7, conversationStartedMs: 7 }))
  const ascending = ['B', 'a', 'm', 'z-10', 'z-9']
  for (const sort of SORT_KEYS) {
    for (const order of ['asc', 'desc'] as const) {
      // Grouped sorts order each group by the most recent activity, then by id descending.
      const grouped = sort === 'stage' || sort === 'temperature'
      const expected = order === 'asc' && !grouped ? ascending : [...ascending].reverse()
      t.strictSame(ids(tied, { sort, order }), expected, `${sort} ${order}`)
    }
  }
})

t.test('the input is left as it was', async (t) => {
  const input = [...sample]
  selectPage(input, selection({ sort: 'stage', order: 'asc', stage: 'Q3' }))
  t.strictSame(input.map((c) => c.summary.contact_id), sample.map((c) => c.summary.contact_id))
})

t.test('pages', async (t) => {
  const meta = (overrides: Partial<ActiveSelection>) => {
    const { items, ...rest } = selectPage(sample, selection(overrides))
    return { ids: items.map((item) => item.summary.contact_id), ...rest }
  }
  t.strictSame(meta({ page_size: 2 }), { ids: ['a-1', 'Lead-XYZ'], total_count: 5, page: 1, page_size: 2, total_pages: 3, has_next: true, has_prev: false })
  t.strictSame(meta({ page_size: 2, page: 2 }), { ids: ['b-4', 'b-5'], total_count: 5, page: 2, page_size: 2, total_pages: 3, has_next: true, has_prev: true })
  t.strictSame(meta({ page_size: 2, page: 3 }), { ids: ['a-2'], total_count: 5, page: 3, page_size: 2, total_pages: 3, has_next: false, has_prev: true })
  t.strictSame(meta({ page_size: 2, page: 4 }), { ids: [], total_count: 5, page: 4, page_size: 2, total_pages: 3, has_next: false, has_prev: true }, 'past the end')
  t.strictSame(meta({ page_size: 5 }), { ids: ['a-1', 'Lead-XYZ', 'b-4', 'b-5', 'a-2'], total_count: 5, page: 1, page_size: 5, total_pages: 1, has_next: false, has_prev: false })
  t.strictSame(meta({ page_size: 200 }).total_pages, 1)
  t.strictSame(meta({ page_size: 1, page: 5 }), { ids: ['a-2'], total_count: 5, page: 5, page_size: 1, total_pages: 5, has_next: false, has_prev: true })
  t.strictSame(meta({ page_size: 1, location_id: 'loc-2' }), { ids: ['Lead-XYZ'], total_count: 2, page: 1, page_size: 1, total_pages: 2, has_next: true, has_prev: false }, 'filtered totals')

  const empty = selectPage([], selection())
  t.strictSame(empty, { items: [], total_count: 0, page: 1, page_size: 20, total_pages: 0, has_next: false, has_prev: false })
  const emptyLater = selectPage([], selection({ page: 3 }))
  t.strictSame(emptyLater, { items: [], total_count: 0, page: 3, page_size: 20, total_pages: 0, has_next: false, has_prev: true })
})

t.test('summarizeSlots: every key, zero where none, sums by stage, temperature, qualified and stalled', async (t) => {
  t.strictSame(summarizeSlots([]), {
    total: 0,
    by_stage: { Q0: 0, Q1: 0, Q2: 0, Q3: 0, Q4: 0, QUALIFIED: 0, STALLED: 0 },
    by_temperature: { COLD: 0, WARM: 0, HOT: 0 },
    qualified: 0,
    stalled: 0
  })
  t.strictSame(summarizeSlots([
    { slot: { stage: 'Q1', temperature: 'COLD', qualified: false }, size: 3, stalled: 2 },
    { slot: { stage: 'Q1', temperature: 'HOT', qualified: false }, size: 1, stalled: 0 },
    { slot: { stage: 'QUALIFIED', temperature: 'HOT', qualified: true }, size: 4, stalled: 0 }
  ]), {
    total: 8,
    by_stage: { Q0: 0, Q1: 4, Q2: 0, Q3: 0, Q4: 0, QUALIFIED: 4, STALLED: 0 },
    by_temperature: { COLD: 3, WARM: 0, HOT: 5 },
    qualified: 4,
    stalled: 2
  })
})

// --- Randomized comparison with a brute force --------------------------------------------------

function bruteForce (conversations: Conversation[], sel: ActiveSelection) {
  const kept: Conversation[] = []
  for (const c of conversations) {
    const s = c.summary
    if (sel.location_id !== undefined && s.location_id !== sel.location_id) continue
    if (sel.stage !== undefined && s.stage !== sel.stage) continue
    if (sel.temperature !== undefined && s.temperature !== sel.temperature) continue
    if (sel.stalled !== undefined && s.is_stalled !== sel.stalled) continue
    if (sel.q !== undefined) {
      const q = sel.q.toLowerCase()
      const found = [s.seller_name, s.property_address, s.contact_id]
        .some((text) => text !== null && text.toLowerCase().indexOf(q) !== -1)
      if (!found) continue
    }
    kept.push(c)
  }

  const rank = (c: Conversation): number => {
    switch (sel.sort) {
      case 'last_activity': return c.lastActivityMs
      case 'conversation_started': return c.conversationStartedMs
      case 'stage': return STAGE_ORDER.indexOf(c.summary.stage)
      case 'temperature': return TEMPERATURE_ORDER.indexOf(c.summary.temperature)
    }
  }
  // Ties: by contact id in the order's direction; sorted by stage or temperature, each group by
  // the most recent activity, then contact id descending (what the indexes give).
  const grouped = sel.sort === 'stage' || sel.sort === 'temperature'
  const before = (a: Conversation, b: Conversation): boolean => {
    if (rank(a) !== rank(b)) return sel.order === 'asc' ? rank(a) < rank(b) : rank(a) > rank(b)
    if (grouped && a.lastActivityMs !== b.lastActivityMs) return a.lastActivityMs > b.lastActivityMs
    const idsAscending = !grouped && sel.order === 'asc'
    return idsAscending ? a.summary.contact_id < b.summary.contact_id : a.summary.contact_id > b.summary.contact_id
  }
  // Selection sort: slow, obviously right.
  const rest = [...kept]
  const ordered: Conversation[] = []
  while (rest.length > 0) {
    let best = 0
    for (let i = 1; i < rest.length; i++) if (before(rest[i] as Conversation, rest[best] as Conversation)) best = i
    ordered.push(...rest.splice(best, 1))
  }

  let totalPages = 0
  while (totalPages * sel.page_size < ordered.length) totalPages++
  const items = ordered.filter((_, i) => i >= (sel.page - 1) * sel.page_size && i < sel.page * sel.page_size)
  return {
    ids: items.map((c) => c.summary.contact_id),
    total_count: ordered.length,
    page: sel.page,
    page_size: sel.page_size,
    total_pages: totalPages,
    has_next: sel.page < totalPages,
    has_prev: sel.page > 1
  }
}

t.test('selectPage agrees with a brute force on random conversations and selections', async (t) => {
  const random = prng(0x5e11e7)
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T
  const maybe = <T>(value: T): T | undefined => (random() < 0.3 ? value : undefined)

  const names = [null, 'Jane Smith', 'ann SMITHERS', 'Bob', 'Émile Zola', 'smith']
  const addresses = [null, '12 Maple Ave', '1 MAPLE court', '9 Oak Street', '']
  const locations = ['loc-1', 'loc-2', 'LOC-1']
  const prefixes = ['c-', 'C-', 'lead_', 'Lead_']
  const queries = ['smith', 'SMITH', 'maple', 'c-1', 'LEAD', 'oak s', 'a', 'zz', 'é']

  const mismatches: unknown[] = []
  let nonEmptyPages = 0
  let tiedSorts = 0
  for (let run = 0; run < 3000; run++) {
    const count = Math.floor(random() * 16)
    const conversations: Conversation[] = []
    for (let k = 0; k < count; k++) {
      conversations.push(conversation({
        contact_id: `${pick(prefixes)}${k}`,
        location_id: pick(locations),
        seller_name: pick(names),
        property_address: pick(addresses),
        stage: pick(STAGE_ORDER),
        temperature: pick(TEMPERATURE_ORDER),
        is_stalled: random() < 0.4,
        is_qualified: random() < 0.2,
        // Few distinct instants, so that ties are common.
        lastActivityMs: 1_700_000_000_000 + Math.floor(random() * 5) * 60_000,
        conversationStartedMs: 1_690_000_000_000 + Math.floor(random() * 5) * 60_000
      }))
    }
    const filters = {
      location_id: maybe(pick(locations)),
      stage: maybe(pick(STAGE_ORDER)),
      temperature: maybe(pick(TEMPERATURE_ORDER)),
      stalled: maybe(random() < 0.5),
      q: maybe(pick(queries))
    }
    const sel: ActiveSelection = {
      ...Object.fromEntries(Object.entries(filters).filter(([, value]) => value !== undefined)),
      sort: pick(SORT_KEYS),
      order: pick(['asc', 'desc'] as const),
      page: 1 + Math.floor(random() * 4),
      page_size: 1 + Math.floor(random() * 6)
    }

    const expected = bruteForce(conversations, sel)
    const { items, ...paging } = selectPage(conversations, sel)
    const actual = { ids: items.map((c) => c.summary.contact_id), ...paging }
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      mismatches.push({ run, selection: sel, expected, actual })
    }
    if (expected.ids.length > 1) nonEmptyPages++
    if (expected.total_count > 1 && sel.sort !== 'last_activity') tiedSorts++
  }
  t.strictSame(mismatches.slice(0, 3), [], `no mismatch in 3000 runs (${mismatches.length} found)`)
  t.ok(nonEmptyPages > 300, `the runs exercise pages of several items (${nonEmptyPages})`)
  t.ok(tiedSorts > 300, `and sorts with ties (${tiedSorts})`)
})
