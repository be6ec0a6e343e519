/**
 * The service stopped under load, as a deployment or a crash stops it:
 * - SIGTERM: every request the service received (its trace log names each one by the client's
 *   X-Request-Id) gets a complete answer, none a 5xx, and the process exits 0. Requests that find
 *   the port closed were never accepted and are counted apart.
 * - SIGKILL, several times at arbitrary moments of a write load (PUT, PATCH, DELETE): no
 *   half-written state. After each kill the consistency scan finds states and indexes agreeing,
 *   and a new process serves the data.
 */
import t from 'tap'
import { Redis } from 'ioredis'
import { privateRedis } from '../helper.js'
import { numberedWrite } from '../fixtures/bot-state.js'
import { startService, type ServiceProcess } from '../support/service-process.js'
import { keepAliveClient, type KeepAliveClient } from '../support/keep-alive-client.js'
import { scanConsistency } from '../support/consistency-scan.js'

const CLIENTS = 32
const CONTACTS = 200
const LOAD_BEFORE_SIGNAL_MS = 2000
const SIGKILL_ROUNDS = 3
const KEY_PREFIX = 'chaos:'
const JSON_HEADERS = { 'content-type': 'application/json' }

const sleep = async (ms: number): Promise<void> => await new Promise((resolve) => setTimeout(resolve, ms))

type Outcome = { status: number } | { error: string }

/**
 * One client's loop of writes and reads, each request named by X-Request-Id, until it is told to
 * stop or the port refuses connections (the server is gone).
 */
async function clientLoop (client: KeepAliveClient, name: string, outcomes: Map<string, Outcome>, running: () => boolean): Promise<void> {
  for (let seq = 1; running(); seq++) {
    const requestId = `${name}-${seq}`
    const contactId = `contact-${(seq * 7 + name.length) % CONTACTS}`
    const headers = { 'x-request-id': requestId }
    const path = `/seller/state/${contactId}`
    try {
      const kind = seq % 6
      const answer = kind === 0
        ? await client.send('DELETE', path, undefined, headers)
        : kind === 1
          ? await client.send('PATCH', path, JSON.stringify({ stage: 'Q3', extracted_data: { patched: seq } }), { ...headers, 'content-type': 'application/merge-patch+json' })
          : kind === 2
            ? await client.send('GET', path, undefined, headers)
            : await client.send('PUT', path, numberedWrite(contactId, seq), { ...headers, ...JSON_HEADERS })
      outcomes.set(requestId, { status: answer.status })
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message
      outcomes.set(requestId, { error: code })
      if (code === 'ECONNREFUSED') return
    }
  }
}

async function runLoad (service: ServiceProcess, stopAfter: Promise<unknown>): Promise<Map<string, Outcome>> {
  const client = keepAliveClient(service.url, CLIENTS)
  const outcomes = new Map<string, Outcome>()
  let running = true
  stopAfter.then(() => { running = false }, () => {})
  await Promise.all(Array.from({ length: CLIENTS }, async (_, i) => await clientLoop(client, `c${i}`, outcomes, () => running)))
  client.close()
  return outcomes
}

t.test('SIGTERM under load: every request received is answered, none with a 5xx, exit 0', async (t) => {
  const redis = await privateRedis(t)
  const service = await startService({ REDIS_URL: redis.url, KEY_PREFIX, LOG_LEVEL: 'trace', SHUTDOWN_GRACE_MS: '10000' })
  t.teardown(() => { service.kill('SIGKILL') })

  const load = runLoad(service, service.exited)
  await sleep(LOAD_BEFORE_SIGNAL_MS)
  service.kill('SIGTERM')
  const { code } = await service.exited
  const outcomes = await load
  t.equal(code, 0, 'the process exits 0')

  // The load's requests (the start-up's health checks aside).
  const received = service.logLines().filter((line) => line.msg === 'incoming request').map((line) => line.reqId as string)
    .filter((id) => /^c\d+-\d+$/.test(id))
  t.ok(received.length > 1000, `${received.length} requests received`)
  const unanswered = received.filter((id) => !('status' in (outcomes.get(id) ?? {})))
  t.same(unanswered, [], 'every request the service received got an answer')
  const statuses = [...outcomes.values()].flatMap((o) => 'status' in o ? [o.status] : [])
  t.same(statuses.filter((status) => status >= 500), [], 'no 5xx')
  const refused = [...outcomes.values()].filter((o) => 'error' in o)
  const receivedIds = new Set(received)
  t.same([...outcomes].filter(([id, o]) => 'error' in o && receivedIds.has(id)), [], 'no request the service received failed on the client')
  const errorCodes = [...new Set(refused.map((o) => (o as { error: string }).error))].join(', ')
  t.comment(`figures: sigterm: ${received.length} requests received, ${statuses.length} answered (0 unanswered, 0 5xx); ` +
    `${refused.length} requests not accepted (${errorCodes}) after the port closed`)
})

t.test('SIGKILL under write load, again and again: never a half-written state', async (t) => {
  const redis = await privateRedis(t)
  const inspector = new Redis(redis.url)
  t.teardown(() => inspector.disconnect())
  let acknowledged = 0
  let checked = 0
  for (let round = 0; round < SIGKILL_ROUNDS; round++) {
    const service = await startService({ REDIS_URL: redis.url, KEY_PREFIX, SWEEP_INTERVAL_SECONDS: '0' })
    t.teardown(() => { service.kill('SIGKILL') })
    const load = runLoad(service, service.exited)
    // A different moment of the load each round.
    await sleep(LOAD_BEFORE_SIGNAL_MS + round * 137)
    service.kill('SIGKILL')
    await service.exited
    const outcomes = await load
    acknowledged += [...outcomes.values()].filter((o) => 'status' in o && o.status < 300).length

    const { states, problems } = await scanConsistency(inspector, KEY_PREFIX)
    t.same(problems, [], `round ${round + 1}: states and indexes agree (${states} states)`)
    checked += states
  }

  const service = await startService({ REDIS_URL: redis.url, KEY_PREFIX })
  t.teardown(() => { service.kill('SIGKILL') })
  const contact = await fetch(`${service.url}/seller/state/contact-3`)
  t.ok([200, 404].includes(contact.status), `a new process serves the data (GET ${contact.status})`)
  const summary = await fetch(`${service.url}/seller/active/summary`)
  t.equal(summary.status, 200)
  t.comment(`figures: sigkill: ${SIGKILL_ROUNDS} SIGKILLs under load, ${acknowledged} writes and reads acknowledged, ` +
    `${checked} states scanned after the kills, 0 disagreements`)
})
