/**
 * Redis killed with SIGKILL in the middle of a sustained PUT load, twice, then started again
 * from its append-only file (appendonly yes, appendfsync always, as docker-compose.yml runs it):
 * - every write answered 2xx is in Redis afterwards, byte for byte, unless a later write to the
 *   same contact replaced it (a write may land and still be answered 503 when Redis dies between
 *   its fsync and its reply: that is allowed, a lost acknowledged write is not);
 * - while Redis is down every request gets a 503 with Retry-After, within about a second;
 * - the service, never restarted, serves again within 2 s of Redis accepting connections;
 * - the indexes agree with the states afterwards (consistency scan).
 */
import t from 'tap'
import { performance } from 'node:perf_hooks'
import { Redis } from 'ioredis'
import { privateRedis } from '../helper.js'
import { numberedWrite } from '../fixtures/bot-state.js'
import { startService } from '../support/service-process.js'
import { keepAliveClient, type KeepAliveClient } from '../support/keep-alive-client.js'
import { scanConsistency } from '../support/consistency-scan.js'
import { summarize } from '../../bench/measure.js'

const WRITERS = 16
const CONTACTS_PER_WRITER = 25
const STEADY_MS = 3000
const OUTAGE_MS = 3000
const KILLS = 2
// What "within about a second" allows: the 1 s command timeout, plus scheduling on two busy cores.
const OUTAGE_ANSWER_BOUND_MS = 1500
const RECOVERY_BOUND_MS = 2000
const KEY_PREFIX = 'chaos:'

interface Attempt {
  contactId: string
  seq: number
  body: string
  startedAt: number
  endedAt: number
  /** HTTP status, or 0 for a network error. */
  status: number
  retryAfter?: string
}

async function writeLoop (client: KeepAliveClient, writer: number, attempts: Attempt[], running: () => boolean): Promise<void> {
  let seq = 0
  while (running()) {
    seq++
    const contactId = `w${writer}-c${seq % CONTACTS_PER_WRITER}`
    const body = numberedWrite(contactId, seq)
    const startedAt = performance.now()
    const attempt: Attempt = { contactId, seq, body, startedAt, endedAt: startedAt, status: 0 }
    try {
      const answer = await client.send('PUT', `/seller/state/${contactId}`, body, { 'content-type': 'application/json' })
      attempt.status = answer.status
      attempt.retryAfter = answer.headers['retry-after'] as string | undefined
    } catch {
      attempt.status = 0
    }
    attempt.endedAt = performance.now()
    attempts.push(attempt)
    // Back off a little on refusals, as the client library does, so the outage is not a busy loop.
    if (attempt.status === 503) await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

const sleep = async (ms: number): Promise<void> => await new Promise((resolve) => setTimeout(resolve, ms))

t.test('SIGKILL of Redis under PUT load: no acknowledged write lost, prompt 503s, recovery without a restart', async (t) => {
  const redis = await privateRedis(t, undefined, { durable: true })
  const service = await startService({ REDIS_URL: redis.url, KEY_PREFIX, SWEEP_INTERVAL_SECONDS: '0' })
  t.teardown(() => { service.kill('SIGKILL') })
  const client = keepAliveClient(service.url, WRITERS)
  t.teardown(() => { client.close() })

  const attempts: Attempt[] = []
  let running = true
  const writers = Array.from({ length: WRITERS }, async (_, writer) => await writeLoop(client, writer, attempts, () => running))

  const outages: Array<{ killedAt: number, backAt: number, recoveredAt: number }> = []
  for (let kill = 0; kill < KILLS; kill++) {
    await sleep(STEADY_MS)
    const killedAt = performance.now()
    await redis.stop()
    await sleep(OUTAGE_MS)
    await redis.start() // resolves once Redis has loaded its AOF and accepts connections
    const backAt = performance.now()
    // Recovered: the first write that started after Redis came back and was acknowledged.
    let recoveredAt = Infinity
    while (recoveredAt === Infinity && performance.now() - backAt < 10_000) {
      await sleep(10)
      recoveredAt = Math.min(...attempts.filter((a) => a.startedAt >= backAt && a.status >= 200 && a.status < 300).map((a) => a.endedAt))
    }
    outages.push({ killedAt, backAt, recoveredAt })
  }
  await sleep(STEADY_MS)
  running = false
  await Promise.all(writers)

  const acknowledged = attempts.filter((a) => a.status === 200 || a.status === 201)
  t.ok(acknowledged.length > 1000, `a sustained load: ${acknowledged.length} acknowledged writes`)
  t.same(attempts.filter((a) => ![200, 201, 503].includes(a.status)).map((a) => a.status), [], 'every answer is a 2xx or a 503, no network error')

  // During each outage (from the kill until Redis is back), every request is a prompt 503.
  const duringOutages = attempts.filter((a) => outages.some((o) => a.startedAt > o.killedAt && a.endedAt < o.backAt))
  t.ok(duringOutages.length > 100, `${duringOutages.length} requests were made while Redis was down`)
  t.same(duringOutages.filter((a) => a.status !== 503 || a.retryAfter !== '1').length, 0, 'each got 503 with Retry-After')
  const outageLatency = summarize(duringOutages.map((a) => a.endedAt - a.startedAt), OUTAGE_MS * KILLS / 1000)
  const slowest = Math.max(...duringOutages.map((a) => a.endedAt - a.startedAt))
  t.ok(slowest < OUTAGE_ANSWER_BOUND_MS, `503 within about a second (slowest ${slowest.toFixed(1)} ms)`)

  const recoveries = outages.map((o) => o.recoveredAt - o.backAt)
  for (const ms of recoveries) t.ok(ms < RECOVERY_BOUND_MS, `served again ${ms.toFixed(0)} ms after Redis was back`)

  // What Redis holds now: per contact, the write that landed last must be the last acknowledged
  // one or a later attempt, byte for byte.
  const inspector = new Redis(redis.url)
  t.teardown(() => inspector.disconnect())
  const byContact = new Map<string, Attempt[]>()
  for (const attempt of attempts) byContact.set(attempt.contactId, [...byContact.get(attempt.contactId) ?? [], attempt])
  let lost = 0
  let replacedByUnacknowledged = 0
  for (const [contactId, writes] of byContact) {
    const lastAcknowledged = Math.max(0, ...writes.filter((a) => a.status === 200 || a.status === 201).map((a) => a.seq))
    const stored = await inspector.hget(`${KEY_PREFIX}state:${contactId}`, 'doc')
    const storedAttempt = stored === null ? undefined : writes.find((a) => a.body === stored)
    if (lastAcknowledged > 0 && (storedAttempt === undefined || storedAttempt.seq < lastAcknowledged)) {
      lost++
      t.fail(`${contactId}: acknowledged write ${lastAcknowledged} not in Redis (holds ${storedAttempt?.seq ?? stored})`)
    }
    if (storedAttempt !== undefined && storedAttempt.seq > lastAcknowledged) replacedByUnacknowledged++
  }
  t.equal(lost, 0, 'no acknowledged write lost')

  const consistency = await scanConsistency(inspector, KEY_PREFIX)
  t.same(consistency.problems, [], `states and indexes agree (${consistency.states} states scanned)`)

  t.comment(`figures: redis-kill: ${KILLS} SIGKILLs, ${attempts.length} PUTs, ${acknowledged.length} acknowledged, ` +
    `${byContact.size} contacts checked, lost ${lost}, ${replacedByUnacknowledged} contacts hold a later write answered 503`)
  t.comment(`figures: redis-kill: ${duringOutages.length} requests during the outages, all 503; ` +
    `latency p50 ${outageLatency.p50.toFixed(1)} ms, p99 ${outageLatency.p99.toFixed(1)} ms, max ${slowest.toFixed(1)} ms`)
  t.comment(`figures: redis-kill: served again ${recoveries.map((ms) => `${ms.toFixed(0)} ms`).join(' and ')} after Redis accepted connections`)
})
