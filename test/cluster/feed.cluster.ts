/**
 * GET /seller/active/events on a 3-master Redis Cluster, over real HTTP: writes to contacts of
 * every bucket reach a feed of another replica, each once, in the feed's order (ms, seq, bucket),
 * which is exactly what the buckets' streams hold; a client that resumes with Last-Event-ID gets
 * exactly the events it missed; a resume past what a bucket's stream holds gets `reset`, and so
 * does an id that is not a cluster id.
 */
import { randomUUID } from 'node:crypto'
import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import type { Cluster } from 'ioredis'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { createKeySpace, type KeySpace } from '../../src/redis/keys.js'
import { botState, putState } from '../helper.js'
import { startRedisCluster, type TestRedisCluster } from '../support/redis-cluster.js'
import { openSse, type ReceivedEvent, type SseClient } from '../support/sse-client.js'

const BUCKETS = 12
const CLUSTER_ID = /^\d+-\d+-\d+$/

const doc = (id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> =>
  botState({ contact_id: id, last_interaction: new Date().toISOString().replace('Z', '000'), ...overrides })
const data = (event: { data: string }): any => JSON.parse(event.data)

/** Orders cluster event ids as the feed does: ms, seq, bucket. */
const compare = (a: string, b: string): number => {
  const [x, y] = [a.split('-').map(BigInt), b.split('-').map(BigInt)]
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return (x[i] as bigint) < (y[i] as bigint) ? -1 : 1
  return 0
}

interface Replica {
  app: FastifyInstance
  url: string
}

async function replica (t: Test, cluster: TestRedisCluster, prefix: string): Promise<Replica> {
  const app = await buildApp(loadConfig({
    REDIS_CLUSTER_NODES: cluster.nodes,
    REDIS_CLUSTER_BUCKETS: String(BUCKETS),
    KEY_PREFIX: prefix,
    LOG_LEVEL: 'silent',
    MAX_EVENT_LOOP_DELAY_MS: '0'
  }))
  t.teardown(() => app.close())
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  return { app, url: `${url}/seller/active/events` }
}

async function feed (t: Test, url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const client = await openSse(url, headers)
  t.teardown(() => client.close())
  return client
}

/** Every event id the buckets' streams hold after `after`, in the feed's order. */
async function heldAfter (inspector: Cluster, keys: KeySpace, after: string): Promise<string[]> {
  const ids: string[] = []
  for (let bucket = 0; bucket < keys.buckets; bucket++) {
    for (const [id] of await inspector.xrange(keys.bucket(bucket).events, '-', '+')) ids.push(`${id}-${bucket}`)
  }
  return ids.filter((id) => compare(id, after) > 0).sort(compare)
}

const changes = (client: SseClient, from = 0): ReceivedEvent[] => client.events.slice(from).filter((e) => e.event === 'created' || e.event === 'updated')

/** Writes `count` new contacts `<name>-<i>` on the replica, 10 at a time, so that they interleave across buckets. */
async function writeMany (app: FastifyInstance, name: string, count: number): Promise<void> {
  for (let i = 0; i < count; i += 10) {
    const answers = await Promise.all(Array.from({ length: Math.min(10, count - i) }, async (_, j) => await putState(app, `${name}-${i + j}`, doc(`${name}-${i + j}`))))
    for (const answer of answers) if (answer.statusCode !== 201) throw new Error(`PUT answered ${answer.statusCode}: ${answer.body}`)
  }
}

t.test('the change feed on a 3-master cluster', async (t) => {
  const cluster = await startRedisCluster()
  t.teardown(() => cluster.stop())
  const inspector = cluster.client()
  t.teardown(() => inspector.disconnect())
  const prefix = `feed:${randomUUID()}:`
  const keys = createKeySpace(prefix, BUCKETS)
  const owners = new Set(await Promise.all(Array.from({ length: BUCKETS }, async (_, b) => await cluster.ownerOf(keys.bucket(b).events))))
  t.equal(owners.size, 3, 'the buckets\' streams sit on all three masters')

  const a = await replica(t, cluster, prefix)
  const b = await replica(t, cluster, prefix)

  t.test('writes to many buckets reach a feed of another replica, each once, in the feed\'s order', async (t) => {
    const client = await feed(t, b.url)
    t.equal(client.status, 200)
    const ready = await client.waitFor((e) => e.event === 'ready')
    t.match(ready.id, CLUSTER_ID, 'ready carries a cluster position: <ms>-<seq>-<bucket>')

    await writeMany(a.app, 'm', 120)
    await putState(a.app, 'm-0', doc('m-0', { stage: 'Q3' }))
    await client.waitFor((e) => e.event === 'updated' && data(e).contact_id === 'm-0', 10_000)
    const received = changes(client)
    const ids = received.map((e) => e.id as string)
    t.same(ids, await heldAfter(inspector, keys, ready.id as string), 'exactly the entries the streams hold after ready, in the order (ms, seq, bucket)')
    t.same(received.filter((e) => e.event === 'created').map((e) => data(e).contact_id).sort(), Array.from({ length: 120 }, (_, i) => `m-${i}`).sort(), 'every write once')
    const buckets = new Set(ids.map((id) => id.split('-')[2]))
    t.equal(buckets.size, BUCKETS, 'events from every bucket')
    t.ok(ids.every((id) => CLUSTER_ID.test(id)), 'every id <ms>-<seq>-<bucket>')
  })

  t.test('a client that resumes with Last-Event-ID gets exactly the events it missed', async (t) => {
    const witness = await feed(t, b.url)
    const first = await feed(t, a.url)
    await Promise.all([witness, first].map(async (c) => await c.waitFor((e) => e.event === 'ready')))
    await writeMany(a.app, 'r', 30)
    await first.waitFor(() => changes(first).length === 30, 10_000)
    const seen = changes(first)
    const last = seen[14] as ReceivedEvent
    first.close()
    await writeMany(a.app, 's', 40)
    await witness.waitFor(() => changes(witness).length === 70, 10_000)

    const again = await feed(t, b.url, { 'last-event-id': last.id as string })
    const missed = await heldAfter(inspector, keys, last.id as string)
    await again.waitFor((e) => e.id === missed[missed.length - 1], 10_000)
    const witnessed = changes(witness).map((e) => e.id as string)
    t.same(again.events.map((e) => e.id), missed, 'every event after the id that the streams hold, in order, none twice, none before')
    t.same(missed, witnessed.slice(witnessed.indexOf(last.id as string) + 1), 'the same a client connected all along received')
    t.equal(missed.length, 15 + 40)

    // And it stays live after catching up.
    const delays: number[] = []
    for (let i = 0; i < 20; i++) {
      const sent = performance.now()
      await putState(a.app, `live-${i}`, doc(`live-${i}`))
      const live = await again.waitFor((e) => e.event === 'created' && data(e).contact_id === `live-${i}`, 5000)
      delays.push(live.at - sent)
    }
    delays.sort((x, y) => x - y)
    t.comment(`PUT on replica A to its event on a client of replica B, 20 writes one at a time: p50 ${Math.round(delays[10] as number)} ms, max ${Math.round(delays[19] as number)} ms`)
  })

  t.test('a resume past what a bucket\'s stream holds gets reset; so does an id that is not a cluster id', async (t) => {
    const client = await feed(t, b.url)
    await client.waitFor((e) => e.event === 'ready')
    await putState(a.app, 'x-0', doc('x-0'))
    const seen = await client.waitFor((e) => e.event === 'created' && data(e).contact_id === 'x-0', 5000)
    client.close()
    // Three writes into one bucket, then its stream trimmed as MAXLEN would: two of them are gone.
    const bucket = keys.bucketOf('x-0')
    const sameBucket = Array.from({ length: 1000 }, (_, i) => `y-${i}`).filter((id) => keys.bucketOf(id) === bucket).slice(0, 3)
    for (const id of sameBucket) await putState(a.app, id, doc(id))
    await inspector.xtrim(keys.bucket(bucket).events, 'MAXLEN', 1)
    const again = await feed(t, b.url, { 'last-event-id': seen.id as string })
    const reset = await again.waitFor((e) => e.event === 'reset')
    t.match(data(reset), { reason: /no longer held/ })
    t.equal(again.events[0]?.event, 'reset', 'nothing before the reset')
    t.match(reset.id, CLUSTER_ID, 'the reset carries the position to go on from')

    for (const id of ['1796642759119-0', '1796642759119-0-12', '99999999999999-0-3', 'yesterday', '1-0-007']) {
      const foreign = await feed(t, b.url, { 'last-event-id': id })
      await foreign.waitFor((e) => e.event === 'reset')
      t.equal(foreign.events[0]?.event, 'reset', `${id}: reset`)
      foreign.close()
    }
  })
})
