/**
 * The real entry point, as `npm start` runs it: listens, serves, and on SIGTERM closes and exits 0.
 */
import t from 'tap'
import { Redis } from 'ioredis'
import { botState, privateRedis } from './helper.js'
import { startService } from './support/service-process.js'

t.test('the server listens, answers, logs JSON and exits 0 on SIGTERM', async (t) => {
  const redis = await privateRedis(t)
  const service = await startService({ REDIS_URL: redis.url, KEY_PREFIX: 'server-test:' })
  t.teardown(() => { service.kill('SIGKILL') })

  const res = await fetch(`${service.url}/health/ready`)
  t.equal(res.status, 200)
  t.same(await res.json(), { status: 'ok', redis: 'ready' })

  service.kill('SIGTERM')
  const { code } = await service.exited
  t.equal(code, 0, 'a graceful shutdown exits 0')
  t.ok(service.logLines().some((line) => line.msg === 'Shutting down'), 'the shutdown is logged as JSON')
})

t.test('SIGTERM lets a request in flight finish before the process exits 0', async (t) => {
  const redis = await privateRedis(t)
  const service = await startService({
    REDIS_URL: redis.url, KEY_PREFIX: 'shutdown-test:', REDIS_COMMAND_TIMEOUT_MS: '5000', SHUTDOWN_GRACE_MS: '5000'
  })
  t.teardown(() => { service.kill('SIGKILL') })
  const base = `${service.url}/seller/state/contact-1`
  const put = await fetch(base, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(botState()) })
  t.equal(put.status, 201)

  // Redis holds the next request for 700 ms; the SIGTERM arrives while it waits.
  const sleeper = new Redis(redis.url)
  t.teardown(() => sleeper.disconnect())
  const asleep = sleeper.call('DEBUG', 'SLEEP', '0.7')
  await new Promise((resolve) => setTimeout(resolve, 50))
  const inFlight = fetch(base)
  await new Promise((resolve) => setTimeout(resolve, 100))
  service.kill('SIGTERM')

  const res = await inFlight
  t.equal(res.status, 200, 'the request in flight got its answer')
  t.equal(JSON.parse(await res.text()).contact_id, 'contact-1')
  const { code } = await service.exited
  t.equal(code, 0)
  await asleep
  await fetch(base).then(() => t.fail('a new request after the shutdown must not be served'), () => t.pass('new connections are refused after the shutdown'))
})
