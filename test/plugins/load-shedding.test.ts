/**
 * Load shedding: past a threshold requests get 503 with Retry-After, readiness says why, liveness
 * stays up.
 */
import t from 'tap'
import { botState, build, eventually, putState } from '../helper.js'

t.test('past MAX_HEAP_USED_BYTES: 503 OVERLOADED, not ready, still alive', async (t) => {
  // A heap limit no process meets: the first sample puts the service under pressure.
  const { app } = await build(t, { MAX_HEAP_USED_BYTES: '1' })
  t.ok(await eventually(async () => (await app.inject({ url: '/seller/active' })).statusCode === 503, 3000), 'shedding')
  const res = await putState(app, 'contact-1', botState())
  t.equal(res.statusCode, 503)
  t.equal(res.headers['retry-after'], '1')
  t.same(res.json(), { statusCode: 503, error: 'Service Unavailable', code: 'OVERLOADED', message: 'The service is overloaded; retry shortly' })
  const ready = await app.inject({ url: '/health/ready' })
  t.equal(ready.statusCode, 503)
  t.match(ready.json(), { status: 'unavailable', reason: /Overloaded/ })
  t.equal((await app.inject({ url: '/health/live' })).statusCode, 200)
})

t.test('with the defaults nothing is shed', async (t) => {
  const { app } = await build(t)
  await new Promise((resolve) => setTimeout(resolve, 600))
  t.equal((await putState(app, 'contact-1', botState())).statusCode, 201)
  t.equal((await app.inject({ url: '/health/ready' })).statusCode, 200)
})
