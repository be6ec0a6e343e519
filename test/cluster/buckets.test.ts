/**
 * The dashboard's reads on a 3-master Redis Cluster with 12 buckets: every sort and filter lists
 * each conversation once, in the order the contract gives, whether walked by page numbers or by
 * cursor; totals and the summary add the buckets up; a page number deeper than the merge bound
 * is refused; the sweep works bucket by bucket across the masters. The expected answers are
 * computed here from the documents written, not by the service's code.
 */
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { createKeySpace } from '../../src/redis/keys.js'
import { botState } from '../fixtures/bot-state.js'
import { startRedisCluster } from '../support/redis-cluster.js'
import { scanConsistency } from '../support/consistency-scan.js'

const PREFIX = 'buckets:'
const BUCKETS = 12
const STAGES = ['Q0', 'Q1', 'Q2', 'Q3', 'Q4', 'QUALIFIED']
const LOCATIONS = ['loc-a', 'loc-b', 'loc-c']

interface Written {
  id: string
  stage: string
  location: string
  qualified: boolean
  lastActivityMs: number
  startedMs: number
}

// 90 contacts; last activity repeats every 7 contacts, so ties are broken by contact id.
const contacts: Written[] = Array.from({ length: 90 }, (_, i) => ({
  id: `c-${String(i).padStart(3, '0')}`,
  stage: STAGES[i % STAGES.length] as string,
  location: LOCATIONS[i % LOCATIONS.length] as string,
  qualified: i % STAGES.length === 5,
  lastActivityMs: Date.UTC(2026, 11, 1, 12, i % 7),
  startedMs: Date.UTC(2026, 10, 1, 0, i)
}))

const iso = (ms: number): string => new Date(ms).toISOString().slice(0, 19)

function document (c: Written): Record<string, unknown> {
  return botState({
    contact_id: c.id,
    location_id: c.location,
    stage: c.stage,
    is_qualified: c.qualified,
    questions_answered: c.qualified ? 4 : 1,
    temperature: 'WARM',
    last_interaction: iso(c.lastActivityMs),
    conversation_started: iso(c.startedMs)
  })
}

const byId = (a: Written, b: Written): number => a.id < b.id ? -1 : a.id > b.id ? 1 : 0

type Query = [string, (c: Written) => boolean, (a: Written, b: Written) => number]

const QUERIES: Query[] = [
  ['sort=last_activity&order=desc', () => true, (a, b) => b.lastActivityMs - a.lastActivityMs || byId(b, a)],
  ['sort=last_activity&order=asc', () => true, (a, b) => a.lastActivityMs - b.lastActivityMs || byId(a, b)],
  ['sort=conversation_started&order=desc', () => true, (a, b) => b.startedMs - a.startedMs || byId(b, a)],
  ['sort=stage&order=asc', () => true, (a, b) => STAGES.indexOf(a.stage) - STAGES.indexOf(b.stage) || b.lastActivityMs - a.lastActivityMs || byId(b, a)],
  ['location_id=loc-b', (c) => c.location === 'loc-b', (a, b) => b.lastActivityMs - a.lastActivityMs || byId(b, a)],
  ['stage=Q2&order=asc', (c) => c.stage === 'Q2', (a, b) => a.lastActivityMs - b.lastActivityMs || byId(a, b)]
]

async function ids (app: FastifyInstance, url: string): Promise<{ ids: string[], total: number, next: string | null }> {
  const response = await app.inject({ url })
  if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode} ${response.body}`)
  const body = response.json()
  return { ids: body.conversations.map((c: { contact_id: string }) => c.contact_id), total: body.total_count, next: body.next_cursor }
}

t.test('listings, cursors and the summary across 12 buckets on 3 masters', async (t) => {
  const cluster = await startRedisCluster()
  t.teardown(() => cluster.stop())
  const app = await buildApp(loadConfig({
    REDIS_CLUSTER_NODES: cluster.nodes,
    REDIS_CLUSTER_BUCKETS: String(BUCKETS),
    KEY_PREFIX: PREFIX,
    LOG_LEVEL: 'silent',
    SWEEP_INTERVAL_SECONDS: '0',
    MAX_EVENT_LOOP_DELAY_MS: '0'
  }))
  t.teardown(() => app.close())
  await app.ready()
  t.equal((await app.inject({ url: '/health/ready' })).statusCode, 200, 'ready on the cluster')

  const keys = createKeySpace(PREFIX, BUCKETS)
  const masters = new Set(await Promise.all(contacts.map(async (c) => await cluster.ownerOf(keys.of(c.id).state(c.id)))))
  t.equal(masters.size, 3, 'the contacts sit on all three masters')
  for (const c of contacts) {
    const put = await app.inject({ method: 'PUT', url: `/seller/state/${c.id}`, headers: { 'content-type': 'application/json' }, payload: document(c) })
    if (put.statusCode !== 201) throw new Error(`PUT ${c.id}: ${put.statusCode} ${put.body}`)
  }

  for (const [query, keep, order] of QUERIES) {
    const expected = contacts.filter(keep).sort(order).map((c) => c.id)
    const byPage: string[] = []
    for (let page = 1; ; page++) {
      const { ids: found, total } = await ids(app, `/seller/active?${query}&page_size=7&page=${page}`)
      t.equal(total, expected.length, `${query}: total_count`)
      if (found.length === 0) break
      byPage.push(...found)
    }
    t.same(byPage, expected, `${query}: page numbers list each conversation once, in order`)
    const byCursor: string[] = []
    let cursor: string | null = null
    do {
      const answer: { ids: string[], next: string | null } = await ids(app, `/seller/active?${query}&page_size=7${cursor === null ? '' : `&cursor=${cursor}`}`)
      byCursor.push(...answer.ids)
      cursor = answer.next
    } while (cursor !== null)
    t.same(byCursor, expected, `${query}: the cursor walk gives the same list`)
  }

  const summary = (await app.inject({ url: '/seller/active/summary' })).json()
  t.equal(summary.total, contacts.length, 'the summary adds the buckets up')
  t.equal(summary.qualified, contacts.filter((c) => c.qualified).length)
  t.same(summary.by_stage.Q2, contacts.filter((c) => c.stage === 'Q2').length)
  const located = (await app.inject({ url: '/seller/active/summary?location_id=loc-c' })).json()
  t.equal(located.total, contacts.filter((c) => c.location === 'loc-c').length, 'and so does one location\'s')

  const beyond = await app.inject({ url: '/seller/active?page=500&page_size=50' })
  t.same([beyond.statusCode, beyond.json().conversations, beyond.json().total_count], [200, [], contacts.length], 'a page past the end of the results is empty, as on one Redis')

  // A state deleted behind the service's back, and one the indexes lost: the sweep repairs both.
  const inspector = cluster.client()
  t.teardown(() => inspector.disconnect())
  const [ghost, orphan] = [contacts[10] as Written, contacts[41] as Written]
  await inspector.del(keys.of(ghost.id).state(ghost.id))
  await inspector.hdel(keys.of(orphan.id).indexMeta, orphan.id)
  const report = await app.indexMaintenance.sweep()
  t.same({ ghosts: report.ghosts, orphans: report.orphans }, { ghosts: 1, orphans: 1 }, 'the sweep finds both, in their buckets')
  t.same(await scanConsistency(inspector, PREFIX, BUCKETS), { states: contacts.length - 1, problems: [] }, 'and leaves every index exact')

  // A page number deeper than the merge bound (1,000) into more results than that is refused.
  const more = Array.from({ length: 1000 }, (_, i) => ({ ...contacts[i % contacts.length] as Written, id: `d-${i}` }))
  for (let i = 0; i < more.length; i += 50) {
    await Promise.all(more.slice(i, i + 50).map(async (c) => await app.inject({ method: 'PUT', url: `/seller/state/${c.id}`, headers: { 'content-type': 'application/json' }, payload: document(c) })))
  }
  const deep = await app.inject({ url: '/seller/active?page=22&page_size=50' })
  t.same([deep.statusCode, deep.json().code], [400, 'PAGE_TOO_DEEP'], 'a page number past the merge bound is refused; the cursor goes on')
})
