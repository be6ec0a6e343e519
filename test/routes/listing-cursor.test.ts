/**
 * Paging with next_cursor: every conversation exactly once, in order, whatever moves between two
 * pages; a cursor only with the query it came from.
 */
import t from 'tap'
import { MAX_PAGE_WALK } from '../../src/state/listing-plan.js'
import { botState, build, putState, type TestApp } from '../helper.js'

type App = TestApp['app']
interface Page { conversations: Array<{ contact_id: string }>, next_cursor: string | null, has_next: boolean, total_count: number }

async function page (app: App, query: string): Promise<Page> {
  const res = await app.inject({ url: `/seller/active?${query}` })
  if (res.statusCode !== 200) throw new Error(`${query}: ${res.statusCode} ${res.body}`)
  return res.json()
}

/** Every page of a query, following next_cursor. */
async function walk (app: App, query: string, pageSize: number): Promise<string[]> {
  const seen: string[] = []
  let current = await page(app, `${query}&page_size=${pageSize}`)
  for (;;) {
    seen.push(...current.conversations.map((c) => c.contact_id))
    if (current.next_cursor === null) return seen
    current = await page(app, `${query}&page_size=${pageSize}&cursor=${current.next_cursor}`)
  }
}

const STAGES = ['Q0', 'Q1', 'Q2', 'Q3', 'Q4', 'QUALIFIED', 'STALLED']
const minutesAgo = (minutes: number): string => new Date(Date.now() - minutes * 60_000).toISOString().slice(0, 19)

async function populate (app: App, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const stage = STAGES[i % STAGES.length] as string
    const id = `c-${String(i).padStart(2, '0')}`
    // Every third one shares its last activity with another, for ties across pages.
    const res = await putState(app, id, botState({
      contact_id: id,
      stage,
      is_qualified: stage === 'QUALIFIED',
      location_id: i % 2 === 0 ? 'loc-a' : 'loc-b',
      temperature: ['hot', 'WARM', 'Cold'][i % 3],
      last_interaction: minutesAgo(i % 3 === 0 ? 100 : i * 97),
      conversation_started: minutesAgo(5000 - i)
    }))
    if (res.statusCode !== 201) throw new Error(res.body)
  }
}

t.test('following next_cursor gives every conversation once, in the order of a single page', async (t) => {
  const { app } = await build(t, { STALL_AFTER_SECONDS: '3600' })
  await populate(app, 30)
  const queries = [
    'sort=last_activity&order=desc', 'sort=last_activity&order=asc',
    'sort=stage&order=asc', 'sort=stage&order=desc', 'sort=temperature&order=desc',
    'sort=conversation_started&order=asc',
    'location_id=loc-a', 'stage=Q2', 'temperature=HOT',
    'stalled=true', 'stalled=false', 'stalled=false&order=asc', 'location_id=loc-b&stalled=false&sort=stage'
  ]
  for (const query of queries) {
    const whole = (await page(app, `${query}&page_size=200`)).conversations.map((c) => c.contact_id)
    for (const size of [1, 4, 7]) {
      t.strictSame(await walk(app, query, size), whole, `${query}, pages of ${size}`)
    }
  }
})

t.test('a conversation that moves between two pages is neither repeated nor skipped', async (t) => {
  const { app } = await build(t)
  await populate(app, 12)
  const first = await page(app, 'page_size=4')
  const seen = first.conversations.map((c) => c.contact_id)
  const rest = (await page(app, 'page_size=200')).conversations.map((c) => c.contact_id).slice(4)

  // A message for a contact already seen, and a new contact: both go to the top.
  const moved = seen[2] as string
  await putState(app, moved, botState({ contact_id: moved, last_interaction: minutesAgo(0) }))
  await putState(app, 'newcomer', botState({ contact_id: 'newcomer', last_interaction: minutesAgo(0) }))

  const byCursor: string[] = []
  let current = await page(app, `page_size=4&cursor=${first.next_cursor as string}`)
  for (;;) {
    byCursor.push(...current.conversations.map((c) => c.contact_id))
    if (current.next_cursor === null) break
    current = await page(app, `page_size=4&cursor=${current.next_cursor}`)
  }
  t.strictSame(byCursor, rest, 'the cursor continues after the last one seen')

  const byNumber = (await page(app, 'page_size=4&page=2')).conversations.map((c) => c.contact_id)
  t.ok(byNumber.some((id) => seen.includes(id)), 'page numbers, by contrast, shift: page 2 repeats one of page 1')
})

t.test('a cursor works only with the query it came from', async (t) => {
  const { app } = await build(t)
  await populate(app, 6)
  const { next_cursor: cursor } = await page(app, 'page_size=2&stage=Q0')
  const refused = [
    `page_size=2&stage=Q1&cursor=${cursor as string}`,
    `page_size=2&stage=Q0&order=asc&cursor=${cursor as string}`,
    'page_size=2&cursor=bm90LWEtY3Vyc29y',
    `page_size=2&stage=Q0&q=c-&cursor=${cursor as string}`
  ]
  const first = await page(app, 'page_size=2')
  refused.push(`page_size=2&q=c&cursor=${first.next_cursor as string}`)
  for (const query of refused) {
    const res = await app.inject({ url: `/seller/active?${query}` })
    t.equal(res.statusCode, 400, query)
    t.match(res.json(), { code: /^(INVALID_CURSOR|FST_ERR_VALIDATION)$/, message: /cursor/ }, query)
  }
  const malformed = await app.inject({ url: '/seller/active?cursor=not%20base64' })
  t.equal(malformed.statusCode, 400)
})

t.test('the last page says so', async (t) => {
  const { app } = await build(t)
  await populate(app, 5)
  const first = await page(app, 'page_size=3')
  t.equal(first.has_next, true)
  const second = await page(app, `page_size=3&cursor=${first.next_cursor as string}`)
  t.equal(second.conversations.length, 2)
  t.equal(second.has_next, false)
  t.equal(second.next_cursor, null)
  t.equal(second.total_count, 5)
})

t.test('a state removed behind the service\'s back leaves the indexes at the first listing that meets it', async (t) => {
  const { app, redis, keys } = await build(t, { SWEEP_INTERVAL_SECONDS: '0' })
  await populate(app, 3)
  await redis.del(keys.of('c-01').state('c-01'))
  const first = await page(app, 'page_size=10')
  t.notOk(first.conversations.some((c) => c.contact_id === 'c-01'), 'never shown')
  const again = await page(app, 'page_size=10')
  t.equal(again.total_count, 2, 'and no longer counted')
  t.equal(again.conversations.length, 2)
  t.equal(await redis.hget(keys.of('c-01').indexMeta, 'c-01'), null)
})

t.test('with a cursor the page number is ignored, and a forged cursor is a 400', async (t) => {
  const { app } = await build(t)
  await populate(app, 6)
  const first = await page(app, 'page_size=2')
  const next = await page(app, `page_size=2&cursor=${first.next_cursor as string}`)
  const withPage = await page(app, `page_size=2&page=2&cursor=${first.next_cursor as string}`)
  t.same(withPage.conversations, next.conversations)
  const [query, group, , id] = JSON.parse(Buffer.from(first.next_cursor as string, 'base64url').toString())
  for (const score of ['', ' ', 'NaN', '1e999x']) {
    const forged = Buffer.from(JSON.stringify([query, group, score, id])).toString('base64url')
    const res = await app.inject({ url: `/seller/active?page_size=2&cursor=${forged}` })
    t.equal(res.statusCode, 400, JSON.stringify(score))
    t.equal(res.json().code, 'INVALID_CURSOR')
  }
})

t.test('page numbers reach MAX_PAGE_WALK conversations into a group of several sets; deeper, the cursor; one set, any depth', async (t) => {
  const { app, keys } = await build(t)
  // Every one shares the same last_interaction: the cursor finds its place among ties.
  const count = MAX_PAGE_WALK + 60
  for (let start = 0; start < count; start += 500) {
    const writes = Array.from({ length: Math.min(500, count - start) }, async (_, i) => {
      const id = `d${start + i}`
      return await putState(app, id, botState({ contact_id: id }))
    })
    t.ok((await Promise.all(writes)).every((res) => res.statusCode === 201))
  }
  const depth = MAX_PAGE_WALK / 50 + 1
  const last = await page(app, `page_size=50&page=${depth}`)
  t.equal(last.conversations.length, 50, `offset ${MAX_PAGE_WALK}: served`)
  const deep = await app.inject({ url: `/seller/active?page_size=50&page=${depth + 1}` })
  t.equal(deep.statusCode, 400)
  t.match(deep.json(), { code: 'PAGE_TOO_DEEP', message: /querystring\/page .* next_cursor/ })
  const rest = await page(app, `page_size=50&cursor=${last.next_cursor as string}`)
  t.equal(rest.conversations.length, 10, 'the cursor goes on from there')
  t.equal((await page(app, 'page_size=50&page=5000&stage=Q0')).conversations.length, 0, 'a page past the end of a small result is fine')
  const searchDeep = await app.inject({ url: `/seller/active?q=d&page_size=50&page=${depth + 1}` })
  t.match(searchDeep.json(), { statusCode: 400, code: 'PAGE_TOO_DEEP' }, 'a search page deeper than MAX_PAGE_WALK with results left')
  t.equal((await page(app, `q=d&page_size=50&page=${depth}`)).conversations.length, 50, 'a search page at MAX_PAGE_WALK')
  const pastEnd = await page(app, 'q=d&page_size=50&page=100')
  t.same([pastEnd.conversations.length, pastEnd.total_count], [0, count], 'a search page past the end: empty, with the count')
  if (keys.buckets > 1) {
    // Several buckets merge their pages: every page number is bounded, one set or several (README, Scaling out).
    const merged = await app.inject({ url: `/seller/active?page_size=50&page=${depth + 1}&sort=conversation_started` })
    t.match(merged.json(), { statusCode: 400, code: 'PAGE_TOO_DEEP' }, 'on a cluster a group of one set is bounded too')
    return
  }
  const oneSet = await page(app, `page_size=50&page=${depth + 1}&sort=conversation_started`)
  t.equal(oneSet.conversations.length, 10, 'a group of one set (the started index) is paged by rank at any depth')
  t.equal(oneSet.conversations[0]?.contact_id, (await page(app, `page_size=10&cursor=${(await page(app, `page_size=50&page=${depth}&sort=conversation_started`)).next_cursor as string}&sort=conversation_started`)).conversations[0]?.contact_id,
    'where the cursor goes on')
})
