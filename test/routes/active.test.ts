/**
 * GET /seller/active and GET /seller/active/summary against a real Redis: the dashboard's
 * filters, sort orders, pages, views, derived values, counts, query validation, expiry and
 * states that cannot be read.
 */
import t, { type Test } from 'tap'
import { botState, build, type TestApp } from '../helper.js'

type App = TestApp['app']
type Item = Record<string, unknown> & { contact_id: string }

interface ActivePage {
  conversations: Item[]
  total_count: number
  page: number
  page_size: number
  total_pages: number
  has_next: boolean
  has_prev: boolean
  skipped_unreadable: number
}

const SUMMARY_KEYS = [
  'contact_id', 'location_id', 'seller_name', 'property_address', 'stage', 'temperature',
  'current_question', 'questions_answered', 'is_qualified', 'is_stalled', 'condition',
  'price_expectation', 'motivation', 'urgency', 'last_activity', 'conversation_started', 'expires_at'
].sort()

const PAGE_KEYS = [
  'conversations', 'total_count', 'page', 'page_size', 'total_pages', 'has_next', 'has_prev', 'next_cursor', 'skipped_unreadable'
].sort()

const HOUR_MS = 3_600_000

/** Creates or replaces a contact's state as the bot does; fails the test on anything but 200/201. */
async function put (t: Test, app: App, id: string, overrides: Record<string, unknown> = {}): Promise<void> {
  const res = await app.inject({
    method: 'PUT',
    url: `/seller/state/${id}`,
    payload: botState({ contact_id: id, ...overrides })
  })
  t.ok(res.statusCode === 200 || res.statusCode === 201, `PUT ${id} stored (${res.statusCode} ${res.statusCode >= 400 ? res.body : ''})`)
}

async function listing (t: Test, app: App, query = ''): Promise<ActivePage> {
  const res = await app.inject({ url: `/seller/active${query === '' ? '' : '?'}${query}` })
  t.equal(res.statusCode, 200, `GET /seller/active?${query} answers 200`)
  return res.json()
}

async function ids (t: Test, app: App, query = ''): Promise<string[]> {
  return (await listing(t, app, query)).conversations.map((item) => item.contact_id)
}

async function summary (t: Test, app: App, query = ''): Promise<Record<string, unknown>> {
  const res = await app.inject({ url: `/seller/active/summary${query === '' ? '' : '?'}${query}` })
  t.equal(res.statusCode, 200, `GET /seller/active/summary?${query} answers 200`)
  return res.json()
}

/** A Python `datetime.utcnow().isoformat()` string (naive, microseconds) for `ms`. */
function naive (ms: number): string {
  return new Date(ms).toISOString().replace('Z', '000')
}

/** Python `isoformat()` of an aware datetime at instant `ms`, in a zone `offsetMinutes` from UTC. */
function withZone (ms: number, offsetMinutes: number): string {
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 19)
  const sign = offsetMinutes < 0 ? '-' : '+'
  const abs = Math.abs(offsetMinutes)
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`
}

function zeroSummary (): Record<string, unknown> {
  return {
    total: 0,
    by_stage: { Q0: 0, Q1: 0, Q2: 0, Q3: 0, Q4: 0, QUALIFIED: 0, STALLED: 0 },
    by_temperature: { HOT: 0, WARM: 0, COLD: 0 },
    qualified: 0,
    stalled: 0,
    skipped_unreadable: 0
  }
}

t.test('with no active conversation: an empty first page and a summary of zeros', async (t) => {
  const { app } = await build(t)
  const page = await listing(t, app)
  t.strictSame(Object.keys(page).sort(), PAGE_KEYS)
  t.strictSame(page, {
    conversations: [],
    total_count: 0,
    page: 1,
    page_size: 20,
    total_pages: 0,
    has_next: false,
    has_prev: false,
    next_cursor: null,
    skipped_unreadable: 0
  })
  t.strictSame(await summary(t, app), zeroSummary(), 'every key present, all zero')
})

t.test('a summary item has exactly the contract\'s fields, taken from the document', async (t) => {
  const { app } = await build(t)
  const before = Date.now()
  await put(t, app, 'c-1', {
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
    last_interaction: '2020-01-23T10:30:00.123456',
    conversation_started: '2020-01-23T10:29:00',
    lead_source: 'zillow'
  })
  const after = Date.now()

  const page = await listing(t, app)
  t.equal(page.conversations.length, 1)
  const item = page.conversations[0] as Item
  t.strictSame(Object.keys(item).sort(), SUMMARY_KEYS, 'the summary view has exactly these keys, no document')
  const { expires_at: expiresAt, ...rest } = item
  t.strictSame(rest, {
    contact_id: 'c-1',
    location_id: 'loc-7',
    seller_name: 'Jane Smith',
    property_address: '12 Maple Ave',
    stage: 'Q3',
    temperature: 'WARM',
    current_question: 3,
    questions_answered: 2,
    is_qualified: false,
    is_stalled: true,
    condition: 'needs_major_repairs',
    price_expectation: 250000,
    motivation: 'relocating',
    urgency: 'high',
    last_activity: '2020-01-23T10:30:00.123456+00:00',
    conversation_started: '2020-01-23T10:29:00'
  })
  t.type(expiresAt, 'string')
  t.match(expiresAt, /\+00:00$/, 'expires_at carries an offset')
  const expiresMs = Date.parse(expiresAt as string)
  const ttlMs = 604800 * 1000
  t.ok(expiresMs >= before + ttlMs && expiresMs <= after + ttlMs, 'expires_at is the write time plus the default TTL of 7 days')
})

t.test('seller_name and property_address are null when the bot sent none', async (t) => {
  const { app } = await build(t)
  await put(t, app, 'c-1')
  const [item] = (await listing(t, app)).conversations
  t.equal(item?.seller_name, null)
  t.equal(item?.property_address, null)
})

t.test('view=full adds the whole stored document; view=summary is the default', async (t) => {
  const { app } = await build(t)
  const { contact_id: _omitted, ...withoutId } = botState({
    seller_name: 'Jane',
    lead_source: 'zillow',
    extracted_data: { nested: { list: [1, 'two', null] } }
  })
  const created = await app.inject({ method: 'PUT', url: '/seller/state/c-full', payload: withoutId })
  t.equal(created.statusCode, 201)
  const stored = (await app.inject({ url: '/seller/state/c-full' })).json()

  const full = await listing(t, app, 'view=full')
  const item = full.conversations[0] as Item
  t.strictSame(Object.keys(item).sort(), [...SUMMARY_KEYS, 'document'].sort())
  t.strictSame(item.document, stored, 'document is the stored document, contact_id and unknown fields included')
  t.equal((item.document as Record<string, unknown>).contact_id, 'c-full')
  const { document: _document, ...summaryPart } = item
  const explicit = await listing(t, app, 'view=summary')
  t.strictSame(summaryPart, explicit.conversations[0], 'the other fields are those of the summary view')
  t.strictSame(await listing(t, app), explicit, 'summary is the default view')
})

t.test('last_activity is last_interaction with an offset, or the time of the last write', async (t) => {
  const { app } = await build(t)
  await put(t, app, 'naive', { last_interaction: '2026-01-23T10:30:00.123456' })
  await put(t, app, 'naive-short', { last_interaction: '2026-01-23T10:30:00' })
  await put(t, app, 'aware', { last_interaction: '2026-01-23T10:30:00.5-05:00' })
  await put(t, app, 'utc', { last_interaction: '2026-01-23T10:30:00+00:00' })
  const before = Date.now()
  await put(t, app, 'none', { last_interaction: null })
  const after = Date.now()

  const items = new Map((await listing(t, app)).conversations.map((item) => [item.contact_id, item]))
  t.equal(items.get('naive')?.last_activity, '2026-01-23T10:30:00.123456+00:00', 'naive: read as UTC, every digit kept')
  t.equal(items.get('naive-short')?.last_activity, '2026-01-23T10:30:00+00:00')
  t.equal(items.get('aware')?.last_activity, '2026-01-23T10:30:00.5-05:00', 'an offset is kept as sent')
  t.equal(items.get('utc')?.last_activity, '2026-01-23T10:30:00+00:00')
  const written = items.get('none')?.last_activity as string
  t.match(written, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+00:00$/, 'the write time, with an offset')
  const writtenMs = Date.parse(written)
  t.ok(writtenMs >= before && writtenMs <= after, 'the write time is when the PUT happened')
})

t.test('is_stalled: not qualified and no activity for STALL_AFTER_SECONDS', async (t) => {
  const { app } = await build(t, { STALL_AFTER_SECONDS: '3600' })
  const now = Date.now()
  await put(t, app, 'old', { last_interaction: naive(now - 2 * HOUR_MS) })
  await put(t, app, 'old-aware', { last_interaction: withZone(now - 2 * HOUR_MS, 120) })
  await put(t, app, 'recent', { last_interaction: naive(now - 10 * 60_000) })
  // 30 minutes ago, written in New York time: read as naive UTC it would look 5 hours old.
  await put(t, app, 'recent-aware', { last_interaction: withZone(now - 30 * 60_000, -300) })
  await put(t, app, 'old-qualified', {
    last_interaction: naive(now - 5 * HOUR_MS),
    is_qualified: true,
    stage: 'QUALIFIED',
    questions_answered: 4,
    current_question: 4
  })
  await put(t, app, 'never', { last_interaction: null })

  const items = new Map((await listing(t, app)).conversations.map((item) => [item.contact_id, item.is_stalled]))
  t.strictSame(Object.fromEntries(items), {
    old: true,
    'old-aware': true,
    recent: false,
    'recent-aware': false,
    'old-qualified': false,
    never: false
  })

  t.strictSame((await ids(t, app, 'stalled=true')).sort(), ['old', 'old-aware'])
  t.strictSame((await ids(t, app, 'stalled=false')).sort(), ['never', 'old-qualified', 'recent', 'recent-aware'])
  t.equal((await summary(t, app)).stalled, 2)
})

t.test('temperature: the stored one upper-cased, else the bot\'s rule', async (t) => {
  const { app } = await build(t)
  const four = { questions_answered: 4, current_question: 4, stage: 'Q4' }
  await put(t, app, 'stored-hot', { temperature: 'hot' })
  await put(t, app, 'stored-warm', { temperature: 'Warm', ...four, offer_accepted: true, timeline_acceptable: true })
  await put(t, app, 'stored-cold', { temperature: 'COLD' })
  await put(t, app, 'rule-hot', { ...four, offer_accepted: true, timeline_acceptable: true })
  await put(t, app, 'rule-warm-timeline', { ...four, offer_accepted: true, timeline_acceptable: false })
  await put(t, app, 'rule-warm-unknown', { ...four, temperature: null })
  await put(t, app, 'rule-cold', { questions_answered: 3, current_question: 4, offer_accepted: true, timeline_acceptable: true })

  const items = new Map((await listing(t, app)).conversations.map((item) => [item.contact_id, item.temperature]))
  t.strictSame(Object.fromEntries(items), {
    'stored-hot': 'HOT',
    'stored-warm': 'WARM',
    'stored-cold': 'COLD',
    'rule-hot': 'HOT',
    'rule-warm-timeline': 'WARM',
    'rule-warm-unknown': 'WARM',
    'rule-cold': 'COLD'
  })
  const stored = (await app.inject({ url: '/seller/state/stored-hot' })).json()
  t.equal(stored.temperature, 'hot', 'the stored document keeps the bot\'s spelling')
})

t.test('filters', async (t) => {
  const { app } = await build(t, { STALL_AFTER_SECONDS: '3600' })
  const now = Date.now()
  await put(t, app, 'a-1', { location_id: 'loc-1', stage: 'Q1', temperature: 'HOT', seller_name: 'Jane SMITH', property_address: '12 Maple Ave', last_interaction: naive(now - 60_000) })
  await put(t, app, 'a-2', { location_id: 'loc-1', stage: 'Q3', temperature: 'cold', seller_name: 'Bob Jones', property_address: '9 Oak Street', last_interaction: naive(now - 5 * HOUR_MS) })
  await put(t, app, 'Lead-XYZ', { location_id: 'loc-2', stage: 'Q3', temperature: 'warm', seller_name: 'Ann Smithers', last_interaction: naive(now - 2 * 60_000) })
  await put(t, app, 'b-4', { location_id: 'loc-2', stage: 'QUALIFIED', is_qualified: true, temperature: 'hot', property_address: '1 maple court', last_interaction: naive(now - 6 * HOUR_MS) })
  await put(t, app, 'b-5', { location_id: 'loc-3', stage: 'Q1', last_interaction: naive(now - 7 * HOUR_MS) })

  const sorted = async (query: string): Promise<string[]> => (await ids(t, app, query)).sort()

  t.strictSame(await sorted(''), ['Lead-XYZ', 'a-1', 'a-2', 'b-4', 'b-5'], 'no filter: every conversation')
  t.strictSame(await sorted('location_id=loc-1'), ['a-1', 'a-2'])
  t.strictSame(await sorted('location_id=loc-2'), ['Lead-XYZ', 'b-4'])
  t.strictSame(await sorted('location_id=loc-9'), [], 'an unknown location has no conversation')
  t.strictSame(await sorted('location_id=LOC-1'), [], 'location ids are case-sensitive')

  t.strictSame(await sorted('stage=Q3'), ['Lead-XYZ', 'a-2'])
  t.strictSame(await sorted('stage=QUALIFIED'), ['b-4'])
  t.strictSame(await sorted('stage=Q0'), [])

  for (const spelling of ['HOT', 'hot', 'Hot', 'hOT']) {
    t.strictSame(await sorted(`temperature=${spelling}`), ['a-1', 'b-4'], `temperature=${spelling}`)
  }
  t.strictSame(await sorted('temperature=warm'), ['Lead-XYZ'])
  // b-5 has no stored temperature: the bot's rule makes it COLD.
  t.strictSame(await sorted('temperature=COLD'), ['a-2', 'b-5'])

  t.strictSame(await sorted('stalled=true'), ['a-2', 'b-5'], 'b-4 is old but qualified')
  t.strictSame(await sorted('stalled=false'), ['Lead-XYZ', 'a-1', 'b-4'])

  t.strictSame(await sorted('q=smith'), ['Lead-XYZ', 'a-1'], 'q searches seller_name, ignoring case')
  t.strictSame(await sorted('q=MAPLE'), ['a-1', 'b-4'], 'q searches property_address, ignoring case')
  t.strictSame(await sorted('q=lead-x'), ['Lead-XYZ'], 'q searches contact_id, ignoring case')
  t.strictSame(await sorted('q=b-'), ['b-4', 'b-5'])
  t.strictSame(await sorted('q=oak%20street'), ['a-2'], 'q may hold spaces')
  t.strictSame(await sorted('q=nobody'), [])

  t.strictSame(await sorted('location_id=loc-2&stage=Q3'), ['Lead-XYZ'], 'filters combine')
  t.strictSame(await sorted('q=maple&stalled=false&temperature=hot'), ['a-1', 'b-4'])
  t.strictSame(await sorted('q=maple&location_id=loc-1'), ['a-1'])
  t.strictSame(await sorted('stage=Q1&stalled=true'), ['b-5'])

  const filtered = await listing(t, app, 'location_id=loc-2')
  t.equal(filtered.total_count, 2, 'total_count counts the filtered conversations')
  t.equal(filtered.total_pages, 1)
})

t.test('sort orders', async (t) => {
  const { app } = await build(t)
  // Each sort key gives a different order. The instants mix naive and aware datetimes, so that
  // sorting by the text would give other orders.
  await put(t, app, 'p', {
    stage: 'Q2',
    temperature: 'WARM',
    last_interaction: '2026-01-10T12:00:00+05:00', // 07:00 UTC
    conversation_started: '2026-01-01T09:00:00'
  })
  await put(t, app, 'q', {
    stage: 'QUALIFIED',
    is_qualified: true,
    temperature: 'cold',
    last_interaction: '2026-01-10T08:00:00', // 08:00 UTC
    conversation_started: '2026-01-01T10:00:00+03:00' // 07:00 UTC
  })
  await put(t, app, 'r', {
    stage: 'Q0',
    current_question: 0,
    questions_answered: 0,
    temperature: 'HOT',
    last_interaction: '2026-01-10T04:00:00-05:00', // 09:00 UTC
    conversation_started: '2026-01-01T08:00:00.999999'
  })
  await put(t, app, 's', {
    stage: 'STALLED',
    last_interaction: '2026-01-10T06:59:59.999999', // just before p
    conversation_started: '2026-01-01T06:00:00'
  }) // no temperature, one question answered: COLD... as is q; ties are broken below

  t.strictSame(await ids(t, app), ['r', 'q', 'p', 's'], 'default: last_activity, newest first')
  t.strictSame(await ids(t, app, 'sort=last_activity'), ['r', 'q', 'p', 's'])
  t.strictSame(await ids(t, app, 'sort=last_activity&order=desc'), ['r', 'q', 'p', 's'])
  t.strictSame(await ids(t, app, 'order=asc'), ['s', 'p', 'q', 'r'], 'order=asc alone: oldest activity first')
  t.strictSame(await ids(t, app, 'sort=last_activity&order=asc'), ['s', 'p', 'q', 'r'])

  t.strictSame(await ids(t, app, 'sort=conversation_started'), ['p', 'r', 'q', 's'], 'newest conversation first')
  t.strictSame(await ids(t, app, 'sort=conversation_started&order=asc'), ['s', 'q', 'r', 'p'])

  t.strictSame(await ids(t, app, 'sort=stage&order=asc'), ['r', 'p', 'q', 's'], 'Q0 … Q4, QUALIFIED, STALLED')
  t.strictSame(await ids(t, app, 'sort=stage&order=desc'), ['s', 'q', 'p', 'r'])
  t.strictSame(await ids(t, app, 'sort=stage'), ['s', 'q', 'p', 'r'], 'the default order is desc')

  // q and s are both COLD: the more recent activity (q) comes first in either order.
  t.strictSame(await ids(t, app, 'sort=temperature&order=desc'), ['r', 'p', 'q', 's'], 'HOT, WARM, COLD')
  t.strictSame(await ids(t, app, 'sort=temperature&order=asc'), ['q', 's', 'p', 'r'], 'COLD, WARM, HOT')
})

t.test('paging', async (t) => {
  const { app } = await build(t)
  const base = Date.UTC(2026, 0, 23, 10, 0, 0)
  // c-0 is the newest.
  const all = ['c-0', 'c-1', 'c-2', 'c-3', 'c-4']
  for (const [i, id] of all.entries()) {
    await put(t, app, id, { last_interaction: naive(base - i * 60_000), location_id: i % 2 === 0 ? 'even' : 'odd' })
  }

  const first = await listing(t, app, 'page_size=2')
  t.strictSame(first, { ...first, total_count: 5, page: 1, page_size: 2, total_pages: 3, has_next: true, has_prev: false })
  t.strictSame(first.conversations.map((item) => item.contact_id), ['c-0', 'c-1'])

  const second = await listing(t, app, 'page_size=2&page=2')
  t.strictSame(second, { ...second, total_count: 5, page: 2, page_size: 2, total_pages: 3, has_next: true, has_prev: true })
  t.strictSame(second.conversations.map((item) => item.contact_id), ['c-2', 'c-3'])

  const last = await listing(t, app, 'page=3&page_size=2')
  t.strictSame(last, { ...last, total_count: 5, page: 3, page_size: 2, total_pages: 3, has_next: false, has_prev: true })
  t.strictSame(last.conversations.map((item) => item.contact_id), ['c-4'], 'the last page holds the rest')

  const past = await listing(t, app, 'page=4&page_size=2')
  t.strictSame(past, {
    conversations: [],
    total_count: 5,
    page: 4,
    page_size: 2,
    total_pages: 3,
    has_next: false,
    has_prev: true,
    next_cursor: null,
    skipped_unreadable: 0
  }, 'a page past the end is empty, with the right totals')
  t.strictSame((await listing(t, app, 'page=99')).conversations, [])

  const whole = await listing(t, app)
  t.strictSame(whole, { ...whole, total_count: 5, page: 1, page_size: 20, total_pages: 1, has_next: false, has_prev: false }, 'default page size 20')
  t.strictSame(whole.conversations.map((item) => item.contact_id), all)

  const exact = await listing(t, app, 'page_size=5')
  t.equal(exact.total_pages, 1, 'a full last page adds no empty page')
  t.equal(exact.has_next, false)
  t.strictSame((await listing(t, app, 'page_size=1&page=5')).conversations.map((item) => item.contact_id), ['c-4'])
  t.equal((await listing(t, app, 'page_size=200')).page_size, 200)

  const ascending = await ids(t, app, 'order=asc&page_size=2&page=1')
  t.strictSame(ascending, ['c-4', 'c-3'], 'pages follow the sort order')

  const evenPage = await listing(t, app, 'location_id=even&page_size=2&page=2')
  t.strictSame(evenPage, { ...evenPage, total_count: 3, total_pages: 2, has_next: false, has_prev: true }, 'paging counts filtered conversations')
  t.strictSame(evenPage.conversations.map((item) => item.contact_id), ['c-4'])
})

t.test('summary: counts by stage and temperature, qualified and stalled, per location', async (t) => {
  const { app } = await build(t, { STALL_AFTER_SECONDS: '3600' })
  const now = Date.now()
  const old = naive(now - 3 * HOUR_MS)
  const recent = naive(now - 60_000)
  await put(t, app, 'a', { location_id: 'north', stage: 'Q1', temperature: 'hot', last_interaction: old })
  await put(t, app, 'b', { location_id: 'north', stage: 'Q1', last_interaction: recent })
  await put(t, app, 'c', { location_id: 'north', stage: 'QUALIFIED', is_qualified: true, questions_answered: 4, current_question: 4, offer_accepted: true, timeline_acceptable: true, last_interaction: old })
  await put(t, app, 'd', { location_id: 'south', stage: 'STALLED', temperature: 'Warm', last_interaction: old })
  await put(t, app, 'e', { location_id: 'south', stage: 'Q4', questions_answered: 4, current_question: 4, last_interaction: recent })

  const all = await summary(t, app)
  t.strictSame(all, {
    total: 5,
    by_stage: { Q0: 0, Q1: 2, Q2: 0, Q3: 0, Q4: 1, QUALIFIED: 1, STALLED: 1 },
    by_temperature: { HOT: 2, WARM: 2, COLD: 1 },
    qualified: 1,
    stalled: 2,
    skipped_unreadable: 0
  })

  t.strictSame(await summary(t, app, 'location_id=north'), {
    total: 3,
    by_stage: { Q0: 0, Q1: 2, Q2: 0, Q3: 0, Q4: 0, QUALIFIED: 1, STALLED: 0 },
    by_temperature: { HOT: 2, WARM: 0, COLD: 1 },
    qualified: 1,
    stalled: 1,
    skipped_unreadable: 0
  })
  t.strictSame(await summary(t, app, 'location_id=south'), {
    total: 2,
    by_stage: { Q0: 0, Q1: 0, Q2: 0, Q3: 0, Q4: 1, QUALIFIED: 0, STALLED: 1 },
    by_temperature: { HOT: 0, WARM: 2, COLD: 0 },
    qualified: 0,
    stalled: 1,
    skipped_unreadable: 0
  })
  t.strictSame(await summary(t, app, 'location_id=east'), zeroSummary(), 'a location without conversations: all zero')

  // The counts follow the data: a write moves a conversation to its new stage.
  await put(t, app, 'b', { location_id: 'north', stage: 'Q2', last_interaction: recent })
  const moved = await summary(t, app, 'location_id=north')
  t.strictSame(moved.by_stage, { Q0: 0, Q1: 1, Q2: 1, Q3: 0, Q4: 0, QUALIFIED: 1, STALLED: 0 })
  const deleted = await app.inject({ method: 'DELETE', url: '/seller/state/a' })
  t.equal(deleted.statusCode, 204)
  t.equal((await summary(t, app)).total, 4, 'a deleted conversation is no longer counted')
})

t.test('query validation: 400 with a JSON error naming the parameter', async (t) => {
  const { app } = await build(t)
  await put(t, app, 'c-1')
  const cases: Array<[string, string, string]> = [
    ['/seller/active', 'page=0', 'page'],
    ['/seller/active', 'page=-1', 'page'],
    ['/seller/active', 'page=two', 'page'],
    ['/seller/active', 'page=2.5', 'page'],
    ['/seller/active', 'page=1e%2B23', 'page'],
    ['/seller/active', 'page=100001', 'page'],
    ['/seller/active', 'page_size=20.0', 'page_size'],
    ['/seller/active', 'location_id=a%20b', 'location_id'],
    ['/seller/active', 'page_size=201', 'page_size'],
    ['/seller/active', 'page_size=0', 'page_size'],
    ['/seller/active', 'sort=bogus', 'sort'],
    ['/seller/active', 'order=sideways', 'order'],
    ['/seller/active', 'view=table', 'view'],
    ['/seller/active', 'stage=Q9', 'stage'],
    ['/seller/active', 'temperature=boiling', 'temperature'],
    ['/seller/active', 'stalled=maybe', 'stalled'],
    ['/seller/active', 'colour=red', 'colour'],
    ['/seller/active/summary', 'stage=Q1', 'stage'],
    ['/seller/active/summary', 'colour=red', 'colour']
  ]
  for (const [path, query, parameter] of cases) {
    const res = await app.inject({ url: `${path}?${query}` })
    t.equal(res.statusCode, 400, `${path}?${query} is refused`)
    t.match(res.headers['content-type'], /^application\/json/)
    const body = res.json()
    t.equal(body.statusCode, 400)
    t.equal(body.error, 'Bad Request')
    t.type(body.message, 'string')
    t.match(body.message, new RegExp(`(^|[^\\w])${parameter}([^\\w]|$)`), `the message names ${parameter}: ${body.message}`)
  }
})

t.test('an expired state leaves the listing, the summary and the index', async (t) => {
  const { app, keys, redis } = await build(t, { STATE_TTL_SECONDS: '1' })
  const indexed = async (id: string): Promise<string | null> => await redis.zscore(keys.of(id).activeIndex, id)
  await put(t, app, 'short-lived', { location_id: 'loc-x' })
  t.strictSame(await ids(t, app), ['short-lived'], 'listed while alive')
  t.not(await indexed('short-lived'), null, 'indexed while alive')

  await new Promise((resolve) => setTimeout(resolve, 1300))
  await put(t, app, 'fresh', { location_id: 'loc-x' })

  const read = await app.inject({ url: '/seller/state/short-lived' })
  t.equal(read.statusCode, 404, 'GET finds no state')
  const page = await listing(t, app)
  t.strictSame(page.conversations.map((item) => item.contact_id), ['fresh'], 'only the live conversation is listed')
  t.equal(page.total_count, 1)
  t.equal(page.skipped_unreadable, 0, 'an expired state is not an unreadable one')
  const counts = await summary(t, app)
  t.equal(counts.total, 1)
  t.equal((await summary(t, app, 'location_id=loc-x')).total, 1)
  t.equal(await indexed('short-lived'), null, 'the index no longer lists the expired contact')
  t.not(await indexed('fresh'), null)
})

t.test('an expired state leaves the index after a listing, with no write in between', async (t) => {
  const { app, keys, redis } = await build(t, { STATE_TTL_SECONDS: '1' })
  const index = keys.of('gone').activeIndex
  await put(t, app, 'gone')
  t.not(await redis.zscore(index, 'gone'), null)
  await new Promise((resolve) => setTimeout(resolve, 1300))

  t.equal((await app.inject({ url: '/seller/state/gone' })).statusCode, 404)
  const page = await listing(t, app)
  t.strictSame(page.conversations, [])
  t.equal(page.total_count, 0)
  t.equal(await redis.zscore(index, 'gone'), null, 'the listing trimmed the index')
  t.strictSame(await summary(t, app), zeroSummary())
})

t.test('an unreadable stored value is skipped and reported, not a failure', async (t) => {
  const { app, keys, redis } = await build(t)
  await put(t, app, 'good', { stage: 'Q1' })
  await redis.set(keys.of('bad').state('bad'), 'pickle')
  await redis.zadd(keys.of('bad').activeIndex, Date.now() + 100_000, 'bad')

  const page = await listing(t, app)
  t.strictSame(page.conversations.map((item) => item.contact_id), ['good'])
  t.equal(page.total_count, 1)
  t.equal(page.skipped_unreadable, 1)

  const full = await listing(t, app, 'view=full')
  t.equal(full.skipped_unreadable, 1)
  t.strictSame(full.conversations.map((item) => item.contact_id), ['good'])

  const counts = await summary(t, app)
  t.equal(counts.total, 1)
  t.strictSame(counts.by_stage, { Q0: 0, Q1: 1, Q2: 0, Q3: 0, Q4: 0, QUALIFIED: 0, STALLED: 0 })
  t.equal(counts.skipped_unreadable, 1)

  t.equal(await redis.get(keys.of('bad').state('bad')), 'pickle', 'listing leaves the foreign value alone')
})

t.test('a stored document that is no longer JSON is skipped and reported', async (t) => {
  const { app, keys, redis } = await build(t)
  await put(t, app, 'good')
  await put(t, app, 'edited')
  // A hand edit of the stored document that broke its JSON.
  await redis.hset(keys.of('edited').state('edited'), 'doc', '{"location_id": "loc-1", ')

  const page = await listing(t, app)
  t.strictSame(page.conversations.map((item) => item.contact_id), ['good'])
  t.equal(page.skipped_unreadable, 1)
  // The summary counts the indexes and reads no document: the contact is still active there.
  const counts = await summary(t, app)
  t.equal(counts.total, 2)
  t.equal(counts.skipped_unreadable, 0)
})

// Python's isoformat() writes the seconds of an offset when it has them: 10:30:00+00:00:30 is
// 10:29:30 UTC, older than 10:29:45 UTC.
t.test('the seconds of a UTC offset count in the last_activity order', async (t) => {
  const { app } = await build(t)
  await put(t, app, 'offset-seconds', { last_interaction: '2026-01-23T10:30:00+00:00:30' })
  await put(t, app, 'naive', { last_interaction: '2026-01-23T10:29:45' })
  t.strictSame(await ids(t, app), ['naive', 'offset-seconds'], 'newest first')
})
