/**
 * GET /seller/active/events, over real HTTP on real Redis: two replicas share the stream, a
 * client resumes by Last-Event-ID, filters select, expiries are events, a client that never reads
 * is cut off within its buffer, and a resume past the stream's trimming gets `reset`.
 */
import { connect } from 'node:net'
import { once } from 'node:events'
import type { Socket } from 'node:net'
import t, { type Test } from 'tap'
import { botState, build, deleteState, eventually, metricValue, privateRedis, putState, type TestApp } from '../helper.js'
import { openSse, type SseClient } from '../support/sse-client.js'

const doc = (id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> =>
  botState({ contact_id: id, last_interaction: new Date().toISOString().replace('Z', '000'), ...overrides })

async function served (t: Test, env: Record<string, string> = {}, shareWith?: TestApp): Promise<TestApp & { url: string }> {
  const ctx = await build(t, shareWith === undefined ? env : { KEY_PREFIX: shareWith.config.keyPrefix, ...env })
  const url = await ctx.app.listen({ port: 0, host: '127.0.0.1' })
  return { ...ctx, url }
}

async function feed (t: Test, url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const client = await openSse(`${url}`, headers)
  t.teardown(() => client.close())
  return client
}

const data = (event: { data: string }): any => JSON.parse(event.data)

t.test('a write on one replica reaches a client of another, with the listing row', async (t) => {
  const a = await served(t)
  const b = await served(t, {}, a)
  const client = await feed(t, `${b.url}/seller/active/events`)
  t.equal(client.status, 200)
  const ready = await client.waitFor((e) => e.event === 'ready')
  t.match(ready.id, /^\d+-\d+$/, 'ready carries the position to resume from')

  const sent = performance.now()
  t.equal((await putState(a.app, 'c-1', doc('c-1', { seller_name: 'Ann Lee' }))).statusCode, 201)
  const created = await client.waitFor((e) => e.event === 'created', 1000)
  t.comment(`PUT on replica A to event on replica B: ${Math.round(created.at - sent)} ms`)
  const listed = JSON.parse((await a.app.inject({ url: '/seller/active' })).body).conversations[0]
  t.same(data(created).row, listed, 'the row is the listing\'s item')
  t.same(data(created), { kind: 'created', contact_id: 'c-1', row: listed, previous: null })

  await putState(a.app, 'c-1', doc('c-1', { stage: 'Q3' }))
  const updated = data(await client.waitFor((e) => e.event === 'updated'))
  t.equal(updated.row.stage, 'Q3')
  t.equal(updated.previous.stage, 'Q2', 'where it was')
  await deleteState(a.app, 'c-1')
  const deleted = data(await client.waitFor((e) => e.event === 'deleted'))
  t.match(deleted.row, { contact_id: 'c-1', location_id: 'loc-1', stage: 'Q3', temperature: 'COLD', is_qualified: false })
  t.equal(await metricValue(b.app, 'seller_state_feed_streams_open'), 1, 'one open stream on B')
  t.equal(await metricValue(b.app, 'seller_state_feed_events_sent_total{event="created"}'), 1)
  t.equal(await metricValue(b.app, 'seller_state_feed_events_sent_total{event="deleted"}'), 1)

  // Writes that did not happen make no event: a failed precondition, a DELETE of nothing.
  const before = client.events.length
  t.equal((await putState(a.app, 'c-2', doc('c-2'), { 'if-match': '"nope"' })).statusCode, 412)
  t.equal((await deleteState(a.app, 'c-2')).statusCode, 204)
  await putState(a.app, 'c-3', doc('c-3'))
  const next = await client.waitFor((e) => e.event === 'created', 2000, before)
  t.equal(data(next).contact_id, 'c-3', 'the next event is the next write that happened')
  t.equal(client.events.length, before + 1)
})

t.test('a client disconnected during 20 writes gets all 20, in order, with Last-Event-ID', async (t) => {
  const a = await served(t)
  const first = await feed(t, `${a.url}/seller/active/events`)
  await putState(a.app, 'r-0', doc('r-0'))
  const seen = await first.waitFor((e) => e.event === 'created')
  first.close()
  for (let i = 1; i <= 20; i++) await putState(a.app, `r-${i}`, doc(`r-${i}`))
  const again = await feed(t, `${a.url}/seller/active/events`, { 'last-event-id': seen.id as string })
  await again.waitFor((e) => data(e).contact_id === 'r-20')
  t.same(again.events.map((e) => data(e).contact_id), Array.from({ length: 20 }, (_, i) => `r-${i + 1}`), 'all 20, none repeated, none before')
  const ids = again.events.map((e) => e.id as string)
  t.same(ids, [...ids].sort((x, y) => Number(x.split('-')[0]) - Number(y.split('-')[0]) || Number(x.split('-')[1]) - Number(y.split('-')[1])), 'in stream order')
  // And it stays live after catching up.
  await putState(a.app, 'r-21', doc('r-21'))
  await again.waitFor((e) => data(e).contact_id === 'r-21')
})

t.test('filters select events; a conversation that leaves a filter is told to that filter', async (t) => {
  const a = await served(t)
  const url = `${a.url}/seller/active/events`
  const byLocation = await feed(t, `${url}?location_id=loc-2`)
  const byStage = await feed(t, `${url}?stage=Q3`)
  const hot = await feed(t, `${url}?temperature=hot`)
  const stalled = await feed(t, `${url}?stalled=true`)
  await Promise.all([byLocation, byStage, hot, stalled].map(async (c) => await c.waitFor((e) => e.event === 'ready')))

  await putState(a.app, 'f-1', doc('f-1', { location_id: 'loc-2' }))
  await putState(a.app, 'f-2', doc('f-2', { stage: 'Q3' }))
  await putState(a.app, 'f-3', doc('f-3', { temperature: 'HOT' }))
  await putState(a.app, 'f-4', doc('f-4', { last_interaction: '2020-01-01T00:00:00' }))
  await putState(a.app, 'f-2', doc('f-2', { stage: 'Q4' })) // leaves stage=Q3
  await putState(a.app, 'f-end', doc('f-end', { location_id: 'loc-2', stage: 'Q3', temperature: 'HOT', last_interaction: '2020-01-01T00:00:00' }))

  const ids = async (client: SseClient): Promise<string[]> => {
    await client.waitFor((e) => e.event !== 'ready' && data(e).contact_id === 'f-end')
    return client.events.filter((e) => e.event !== 'ready').map((e) => `${e.event}:${data(e).contact_id as string}`)
  }
  t.same(await ids(byLocation), ['created:f-1', 'created:f-end'])
  t.same(await ids(byStage), ['created:f-2', 'updated:f-2', 'created:f-end'], 'the update that moved f-2 out of Q3 is sent')
  t.same(await ids(hot), ['created:f-3', 'created:f-end'], 'temperature in any letter case')
  t.same(await ids(stalled), ['created:f-4', 'created:f-end'])

  const bad = await openSse(`${url}?stage=Q9`)
  t.equal(bad.status, 400, 'a bad filter is a 400, as for the listing')
})

t.test('expiries are events: from the reaping of a write or a read, and from the sweep', async (t) => {
  const a = await served(t, { STATE_TTL_SECONDS: '1', SWEEP_INTERVAL_SECONDS: '0' })
  const client = await feed(t, `${a.url}/seller/active/events`)
  await client.waitFor((e) => e.event === 'ready')
  await putState(a.app, 'e-1', doc('e-1', { location_id: 'loc-9' }))
  await putState(a.app, 'e-2', doc('e-2'))
  await new Promise((resolve) => setTimeout(resolve, 1200))
  // A listing reaps what expired before it counts.
  await a.app.inject({ url: '/seller/active' })
  const expired = await client.waitFor((e) => e.event === 'expired')
  t.match(data(expired).row, { location_id: expired.data.includes('e-1') ? 'loc-9' : 'loc-1' })
  t.same(client.events.filter((e) => e.event === 'expired').map((e) => data(e).contact_id).sort(), ['e-1', 'e-2'])

  // The sweep: an expired entry no script reaped.
  await putState(a.app, 'e-3', doc('e-3'))
  await new Promise((resolve) => setTimeout(resolve, 1200))
  const report = await a.app.indexMaintenance.sweep()
  t.equal(report.expired, 1)
  const swept = await client.waitFor((e) => e.event === 'expired' && data(e).contact_id === 'e-3')
  t.equal(data(swept).kind, 'expired')

  // A state deleted behind the service's back is a deletion, found by the sweep.
  const b = await served(t, { SWEEP_INTERVAL_SECONDS: '0' }, a)
  await putState(b.app, 'e-4', doc('e-4'))
  await b.redis.del(`${b.config.keyPrefix}state:e-4`)
  await b.app.indexMaintenance.sweep()
  await client.waitFor((e) => e.event === 'deleted' && data(e).contact_id === 'e-4')
})

t.test('a client that never reads is cut off before its buffer passes the bound', async (t) => {
  const bound = 65536
  const a = await served(t, { EVENTS_CLIENT_BUFFER_BYTES: String(bound) })
  // What Node held unsent for the feed's socket, sampled after every write and when the service
  // cuts it off (its largest).
  let largest = 0
  const sockets: Socket[] = []
  a.app.server.on('connection', (socket: Socket) => {
    sockets.push(socket)
    const destroy = socket.destroy.bind(socket)
    socket.destroy = (error?: Error) => {
      largest = Math.max(largest, socket.writableLength)
      return destroy(error)
    }
  })
  const port = (a.app.server.address() as { port: number }).port
  const reader = connect(port, '127.0.0.1')
  reader.write('GET /seller/active/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n')
  reader.pause() // and never reads again
  await eventually(async () => await metricValue(a.app, 'seller_state_feed_streams_open') === 1)
  const closed = once(reader, 'close')
  reader.on('error', () => {})
  const name = 'x'.repeat(8000)
  let writes = 0
  for (; writes < 2000 && await metricValue(a.app, 'seller_state_feed_streams_open') === 1; writes++) {
    await putState(a.app, `slow-${writes % 50}`, doc(`slow-${writes % 50}`, { seller_name: name }))
    for (const socket of sockets) largest = Math.max(largest, socket.writableLength)
  }
  t.ok(writes < 2000, `cut off after ${writes} writes of about 8 KB each`)
  t.ok(largest > 0 && largest <= bound + 10_000, `the most Node held for it: ${largest} bytes (bound ${bound} plus one event)`)
  t.equal(await metricValue(a.app, 'seller_state_feed_streams_cut_off_total{reason="slow"}'), 1)
  reader.resume()
  await closed
  t.equal(await metricValue(a.app, 'seller_state_feed_streams_open'), 0)
})

t.test('a resume past what the stream holds gets reset; so does a malformed id', async (t) => {
  const a = await served(t)
  const client = await feed(t, `${a.url}/seller/active/events`)
  await putState(a.app, 'x-1', doc('x-1'))
  const seen = await client.waitFor((e) => e.event === 'created')
  client.close()
  await putState(a.app, 'x-2', doc('x-2'))
  await putState(a.app, 'x-3', doc('x-3'))
  // Trimmed as MAXLEN or the age cap would: x-2's event is gone.
  await a.redis.xtrim(`${a.config.keyPrefix}events`, 'MAXLEN', 1)
  const again = await feed(t, `${a.url}/seller/active/events`, { 'last-event-id': seen.id as string })
  const reset = await again.waitFor((e) => e.event === 'reset')
  t.match(data(reset), { reason: /no longer held/ })
  t.equal(again.events[0]?.event, 'reset', 'nothing before the reset')
  await putState(a.app, 'x-4', doc('x-4'))
  await again.waitFor((e) => e.event === 'created' && data(e).contact_id === 'x-4')

  const malformed = await feed(t, `${a.url}/seller/active/events`, { 'last-event-id': 'yesterday' })
  await malformed.waitFor((e) => e.event === 'reset')
  const future = await feed(t, `${a.url}/seller/active/events`, { 'last-event-id': '99999999999999-0' })
  await future.waitFor((e) => e.event === 'reset')
})

t.test('heartbeats on an idle feed; the read scope is needed when access control is on', async (t) => {
  const READ = 'read-token-0123456789abcdef'
  const a = await served(t, { API_KEYS: `read:${READ}`, EVENTS_HEARTBEAT_SECONDS: '1' })
  const refused = await openSse(`${a.url}/seller/active/events`)
  t.equal(refused.status, 401)
  const client = await feed(t, `${a.url}/seller/active/events`, { authorization: `Bearer ${READ}` })
  t.equal(client.status, 200)
  await eventually(async () => client.comments >= 1, 3000)
  t.ok(client.comments >= 1, 'a heartbeat comment within its period')
})

t.test('closing the app ends open feeds', async (t) => {
  const a = await served(t)
  const client = await openSse(`${a.url}/seller/active/events`)
  await client.waitFor((e) => e.event === 'ready')
  await a.app.close()
  await client.ended
  t.pass('the feed ended with the app')
})

t.test('Redis restarted empty under an open feed: the feed says reset, then goes on with new writes', async (t) => {
  const server = await privateRedis(t)
  const a = await served(t, { REDIS_URL: server.url })
  const client = await feed(t, `${a.url}/seller/active/events`)
  await putState(a.app, 'o-1', doc('o-1'))
  await client.waitFor((e) => e.event === 'created')
  await server.stop()
  const during = await openSse(`${a.url}/seller/active/events?stage=Q2`)
  await server.start()
  await eventually(async () => (await a.app.inject({ url: '/health/ready' })).statusCode === 200, 10_000)
  const reset = await client.waitFor((e) => e.event === 'reset', 10_000)
  t.match(data(reset), { reason: /fell behind/ })
  await eventually(async () => (await putState(a.app, 'o-2', doc('o-2'))).statusCode === 201, 10_000)
  await client.waitFor((e) => e.event === 'created' && data(e).contact_id === 'o-2', 10_000)
  t.pass('the feed resumed on the new stream')
  // Its reader was already running: a feed opened meanwhile starts, and follows once Redis is back.
  t.equal(during.status, 200, 'a feed opened during the outage is accepted')
  await during.waitFor((e) => e.event === 'created' && data(e).contact_id === 'o-2', 10_000)
  during.close()
})
