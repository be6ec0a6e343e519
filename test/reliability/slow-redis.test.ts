/**
 * A Redis that stops answering without closing its connections (its process frozen, as a stalled
 * disk or a paused VM would leave it): every request gets a clean 503 with Retry-After once the
 * command timeout passes, the event loop stays free meanwhile (/health/live answers while they
 * wait), a write refused that way never lands when Redis wakes up, and the service is ready
 * again by itself.
 */
import t from 'tap'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { botState, build, eventually, getState, patchState, privateRedis, putState } from '../helper.js'

const COMMAND_TIMEOUT_MS = 1000
const FROZEN_MS = 3000
// "Within about a second": the command timeout, plus scheduling on two busy cores. A command
// queued behind another one that timed out would take two timeouts.
const ANSWER_BOUND_MS = COMMAND_TIMEOUT_MS * 1.5

t.test('a frozen Redis: prompt 503s, a free event loop, no late write, recovery by itself', async (t) => {
  const server = await privateRedis(t)
  const { app } = await build(t, { REDIS_URL: server.url, REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS) })
  t.equal((await putState(app, 'contact-1', botState())).statusCode, 201)

  const loopDelay = monitorEventLoopDelay({ resolution: 10 })
  loopDelay.enable()
  const frozen = server.freeze(FROZEN_MS)
  await new Promise((resolve) => setTimeout(resolve, 50))

  let settled = 0
  const timed = async (send: () => Promise<{ statusCode: number, headers: Record<string, unknown>, json: () => unknown }>) => {
    const started = performance.now()
    const res = await send()
    settled++
    return { res, ms: performance.now() - started }
  }
  const requests = [
    ...Array.from({ length: 10 }, (_, i) => async () => await putState(app, `new-${i}`, botState({ contact_id: `new-${i}` }))),
    ...Array.from({ length: 10 }, () => async () => await getState(app, 'contact-1')),
    async () => await patchState(app, 'contact-1', { stage: 'Q3' }),
    async () => await app.inject({ method: 'DELETE', url: '/seller/state/contact-1' }),
    async () => await app.inject({ url: '/seller/active?stage=Q2' }),
    async () => await app.inject({ url: '/seller/active/summary' }),
    async () => await app.inject({ url: '/health/ready' })
  ].map(timed)

  const live = await app.inject({ url: '/health/live' })
  t.equal(live.statusCode, 200, '/health/live answers while Redis is frozen')
  t.equal(settled, 0, '...before any request waiting on Redis has its answer')

  const answers = await Promise.all(requests)
  for (const { res } of answers) {
    t.equal(res.statusCode, 503)
    t.equal(res.headers['retry-after'], '1')
  }
  t.same(answers.filter(({ res }) => (res.json() as { code?: string }).code === 'REDIS_UNAVAILABLE').length, answers.length - 1,
    'every data route says REDIS_UNAVAILABLE (readiness says unavailable)')
  const slowest = Math.max(...answers.map(({ ms }) => ms))
  t.ok(slowest < ANSWER_BOUND_MS, `each answered within about a second (slowest ${slowest.toFixed(0)} ms)`)
  loopDelay.disable()
  const maxLagMs = loopDelay.max / 1e6
  t.ok(maxLagMs < COMMAND_TIMEOUT_MS, `the event loop was never blocked (longest delay ${maxLagMs.toFixed(0)} ms)`)

  await frozen
  t.ok(await eventually(async () => (await app.inject({ url: '/health/ready' })).statusCode === 200), 'ready again by itself')
  t.equal((await getState(app, 'new-0')).statusCode, 404, 'a PUT answered 503 did not land when Redis woke up')
  const kept = await getState(app, 'contact-1')
  t.equal(kept.statusCode, 200, 'nor the DELETE')
  t.equal(kept.json().stage, 'Q2', 'nor the PATCH')
  t.comment(`figures: slow-redis: ${answers.length} requests during a ${FROZEN_MS} ms freeze, all 503 after the ` +
    `${COMMAND_TIMEOUT_MS} ms command timeout (slowest ${slowest.toFixed(0)} ms); event loop delay max ${maxLagMs.toFixed(1)} ms`)
})
