/**
 * The built service on a primary with one replica watched by three sentinels: SIGKILL of the
 * primary under PUT load from 8 clients, with REDIS_MIN_REPLICAS_ACK 0 and 1. The killed node is
 * started again once the sentinels have promoted the replica (as a supervisor would restart it),
 * and becomes the new primary's replica. Every answer is a 2xx, a 503 with Retry-After or a 409/412,
 * writes succeed again without restarting the service, and with 1 no acknowledged write is lost;
 * with 0 the loss is counted and reported as it is. A wrong master name and unreachable sentinels
 * are readiness failures with their reason.
 */
import t from 'tap'
import { startRedisSentinel, type TestRedisSentinel } from '../support/redis-sentinel.js'
import { startService } from '../support/service-process.js'
import { keepAliveClient } from '../support/keep-alive-client.js'
import { allowedDuringFailover, countLost, runFailoverLoad, TABLE_HEADER, tableRow } from '../support/failover-load.js'
import { freePort } from '../support/free-port.js'
import { numberedWrite } from '../fixtures/bot-state.js'

const LOAD_BEFORE_MS = 1500
const LOAD_AFTER_RECOVERY_MS = 1500
const RECOVERY_TIMEOUT_MS = 30_000
const FAILOVER_TIMEOUT_MS = 20_000
// The service's deadline for an answer: REDIS_COMMAND_TIMEOUT_MS and a margin for a loaded machine.
const COMMAND_TIMEOUT_MS = 1000
const SLOWEST_ALLOWED_MS = 5000

const sleep = async (ms: number): Promise<void> => await new Promise((resolve) => setTimeout(resolve, ms))

async function promotedAway (sentinel: TestRedisSentinel, from: number): Promise<number> {
  const deadline = Date.now() + FAILOVER_TIMEOUT_MS
  for (;;) {
    const now = await sentinel.primary().catch(() => from)
    if (now !== from) return now
    if (Date.now() > deadline) throw new Error(`the sentinels did not fail over from ${from} in ${FAILOVER_TIMEOUT_MS} ms`)
    await sleep(100)
  }
}

const rows: string[] = []
t.teardown(() => { t.comment(['Sentinel failover', TABLE_HEADER, ...rows].join('\n')) })

for (const replicasAck of [0, 1]) {
  t.test(`SIGKILL of the primary under 8 writers, REDIS_MIN_REPLICAS_ACK=${replicasAck}`, async (t) => {
    const sentinel = await startRedisSentinel({ replicas: 1, sentinels: 3, downAfterMs: 1000, failoverTimeoutMs: 3000 })
    t.teardown(() => sentinel.stop())
    const service = await startService({
      REDIS_SENTINELS: sentinel.sentinels,
      REDIS_SENTINEL_NAME: sentinel.name,
      REDIS_MIN_REPLICAS_ACK: String(replicasAck),
      REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS),
      KEY_PREFIX: 'failover:',
      LOG_LEVEL: 'warn',
      SWEEP_INTERVAL_SECONDS: '0',
      // Two cores run Redis, the sentinels, the service and the clients: no load shedding's 503 here.
      MAX_EVENT_LOOP_DELAY_MS: '0'
    }, { built: true })
    t.teardown(() => { service.kill('SIGKILL') })
    const http = keepAliveClient(service.url, 8)
    t.teardown(() => http.close())
    t.equal((await http.send('GET', '/health/ready')).status, 200, 'ready through the sentinels')

    const first = await sentinel.primary()
    const run = await runFailoverLoad({
      http,
      loadBeforeMs: LOAD_BEFORE_MS,
      loadAfterRecoveryMs: LOAD_AFTER_RECOVERY_MS,
      recoveryTimeoutMs: RECOVERY_TIMEOUT_MS,
      kill: async () => await sentinel.kill(first),
      afterKill: async () => {
        await promotedAway(sentinel, first)
        await sentinel.restart(first)
      }
    })
    const { lost, examples } = await countLost(http, run.acknowledged)
    rows.push(tableRow('Sentinel', replicasAck, run, lost))
    t.comment(rows.at(-1) as string)

    const unexpected = [...run.statuses.keys()].filter((label) => !allowedDuringFailover(label))
    t.same(unexpected, [], 'every answer is a 2xx, a 503 with Retry-After, or a 409/412')
    if (unexpected.length > 0) t.comment(service.logLines().filter((line) => Number(line.level) >= 50).slice(0, 3).map((line) => JSON.stringify(line.err ?? line.msg)).join('\n'))
    t.ok(run.slowestMs < SLOWEST_ALLOWED_MS, `no answer took more than ${SLOWEST_ALLOWED_MS} ms (slowest ${run.slowestMs.toFixed(0)} ms)`)
    t.not(run.firstWriteMs, null, 'writes succeed again, the service never restarted')
    t.equal((await http.send('GET', '/health/ready')).status, 200, 'the same service process is ready again')
    if (replicasAck > 0) t.equal(lost, 0, `no acknowledged write lost (${run.acknowledged.size} read back)${examples.length > 0 ? `: ${examples.join(', ')}` : ''}`)
    else t.comment(`acknowledged writes lost with REDIS_MIN_REPLICAS_ACK=0: ${lost} of ${run.acknowledged.size}${examples.length > 0 ? ` (${examples.join(', ')})` : ''}`)
  })
}

t.test('a master name no sentinel knows, then no sentinel at all: 503 from /health/ready with the reason, no crash', async (t) => {
  const sentinel = await startRedisSentinel({ replicas: 0, sentinels: 1 })
  t.teardown(() => sentinel.stop())
  const unknown = await startService({ REDIS_SENTINELS: sentinel.sentinels, REDIS_SENTINEL_NAME: 'not-monitored', LOG_LEVEL: 'warn' }, { built: true })
  t.teardown(() => { unknown.kill('SIGKILL') })
  const nowhere = await startService({ REDIS_SENTINELS: `127.0.0.1:${await freePort()}`, REDIS_SENTINEL_NAME: sentinel.name, LOG_LEVEL: 'warn' }, { built: true })
  t.teardown(() => { nowhere.kill('SIGKILL') })
  // The client asks the sentinels in turn, then again after its retry delay: give it a round.
  await sleep(1500)
  for (const [service, reason] of [[unknown, /No sentinel knows the master group "not-monitored" \(REDIS_SENTINEL_NAME\)/], [nowhere, /No sentinel is reachable \(REDIS_SENTINELS\)/]] as const) {
    const ready = await fetch(`${service.url}/health/ready`)
    const body = await ready.json() as { status: string, reason: string }
    t.equal(ready.status, 503)
    t.match(ready.headers.get('retry-after'), /^\d+$/)
    t.match(body, { status: 'unavailable', reason })
    const write = await fetch(`${service.url}/seller/state/c-1`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: numberedWrite('c-1', 1) })
    t.equal(write.status, 503, 'a write gets 503')
    t.equal((await fetch(`${service.url}/health/live`)).status, 200, 'still alive')
  }
})
