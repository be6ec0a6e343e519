/**
 * Redis going away and coming back: every request gets a prompt 503 with Retry-After while it
 * is gone, readiness says why, and the service recovers by itself. Each test owns its Redis.
 */
import t from 'tap'
import { Redis } from 'ioredis'
import { botState, build, eventually, privateRedis } from '../helper.js'
import { freePort } from '../support/free-port.js'

const stateBody = { headers: { 'content-type': 'application/json' }, payload: JSON.stringify(botState()) }

// A generous bound: it tells a prompt 503 from a request hanging on a reconnection, not speed.
const HANG_BOUND_MS = 3000

t.test('while Redis is down every route answers 503 with Retry-After, then recovers by itself', async (t) => {
  const server = await privateRedis(t)
  const { app } = await build(t, { REDIS_URL: server.url })
  t.equal((await app.inject({ method: 'PUT', url: '/seller/state/contact-1', ...stateBody })).statusCode, 201)

  await server.stop()
  const requests = [
    { method: 'GET' as const, url: '/seller/state/contact-1' },
    { method: 'PUT' as const, url: '/seller/state/contact-1', ...stateBody },
    { method: 'DELETE' as const, url: '/seller/state/contact-1' },
    { method: 'GET' as const, url: '/seller/active' },
    { method: 'GET' as const, url: '/seller/active/summary' }
  ]
  for (const request of requests) {
    const started = Date.now()
    const res = await app.inject(request)
    const elapsed = Date.now() - started
    t.equal(res.statusCode, 503, `${request.method} ${request.url}`)
    t.equal(res.headers['retry-after'], '1')
    t.same(res.json(), {
      statusCode: 503, error: 'Service Unavailable', code: 'REDIS_UNAVAILABLE', message: 'Storage is unavailable; retry shortly'
    })
    t.ok(elapsed < HANG_BOUND_MS, `answered without hanging (${elapsed} ms)`)
  }
  const ready = await app.inject({ url: '/health/ready' })
  t.equal(ready.statusCode, 503)
  t.equal(ready.headers['retry-after'], '1')
  t.match(ready.json(), { status: 'unavailable', reason: /Redis/ })
  t.equal((await app.inject({ url: '/health/live' })).statusCode, 200, 'the process itself is alive')

  await server.start()
  t.ok(await eventually(async () => (await app.inject({ url: '/health/ready' })).statusCode === 200), 'ready again')
  const write = await app.inject({ method: 'PUT', url: '/seller/state/contact-1', ...stateBody })
  t.equal(write.statusCode, 201, 'writes work again (the new server is empty)')
})

t.test('a start-up without Redis stays up, is not ready and says why, then becomes ready', async (t) => {
  const port = await freePort()
  const started = Date.now()
  const { app } = await build(t, { REDIS_URL: `redis://127.0.0.1:${port}` })
  t.ok(Date.now() - started < HANG_BOUND_MS, 'start-up does not wait for Redis')

  const ready = await app.inject({ url: '/health/ready' })
  t.equal(ready.statusCode, 503)
  t.match(ready.json(), { status: 'unavailable', reason: /not connected/ })
  t.equal((await app.inject({ url: '/seller/state/contact-1' })).statusCode, 503)

  await privateRedis(t, port)
  t.ok(await eventually(async () => (await app.inject({ url: '/health/ready' })).statusCode === 200, 10_000), 'ready once Redis is there')
  t.same((await app.inject({ url: '/health/ready' })).json(), { status: 'ok', redis: 'ready' })
  t.equal((await app.inject({ method: 'PUT', url: '/seller/state/contact-1', ...stateBody })).statusCode, 201)
})

t.test('a hung Redis: 503 within the command timeout, the process stays live, and a refused write never lands later', async (t) => {
  const server = await privateRedis(t)
  const { app } = await build(t, { REDIS_URL: server.url, REDIS_COMMAND_TIMEOUT_MS: '300' })
  t.equal((await app.inject({ method: 'PUT', url: '/seller/state/contact-1', ...stateBody })).statusCode, 201)

  // DEBUG SLEEP blocks the whole server, as a stalled disk or a paused VM would.
  const sleeper = new Redis(server.url)
  t.teardown(() => sleeper.disconnect())
  const asleep = sleeper.call('DEBUG', 'SLEEP', '1.5')
  await new Promise((resolve) => setTimeout(resolve, 100))

  const other = { headers: stateBody.headers, payload: JSON.stringify(botState({ contact_id: 'contact-2' })) }
  const [created, deleted, read] = await Promise.all([
    app.inject({ method: 'PUT', url: '/seller/state/contact-2', ...other }),
    app.inject({ method: 'DELETE', url: '/seller/state/contact-1' }),
    app.inject({ url: '/seller/state/contact-1' })
  ])
  for (const res of [created, deleted, read]) {
    t.equal(res.statusCode, 503)
    t.equal(res.headers['retry-after'], '1')
  }
  t.equal((await app.inject({ url: '/health/live' })).statusCode, 200, 'the event loop is free')

  await asleep
  t.equal((await app.inject({ url: '/seller/state/contact-2' })).statusCode, 404, 'the PUT that got a 503 was not done when Redis woke up')
  t.equal((await app.inject({ url: '/seller/state/contact-1' })).statusCode, 200, 'nor the DELETE')
})
