/**
 * `npm run soak` (not in CI): issue 6's memory soak. Does the service's memory stay flat under a
 * steady, realistic load? A leak (a map keyed by contact, a listener per request, a metric label
 * per id) shows as heap and RSS that keep climbing after the warm-up.
 *
 * Starts a private redis-server and the built service (dist/src/server.js, as production runs it;
 * the npm script builds first: under the TypeScript loader the process starts with about twice the
 * heap and RSS, which would dilute a leak's share), fills it with SOAK_CONTACTS contacts, then for
 * SOAK_SECONDS drives a mixed load at about SOAK_RATE requests/s: the bot's turn (GET, then PUT
 * with If-Match and an Idempotency-Key), merge patches (some redelivered), conditional GETs,
 * deletes and re-creates (keys churn), the dashboard's listings and summary, and mistakes on
 * purpose (4xx). Every SOAK_SAMPLE_SECONDS it reads the service's heap used and RSS from its
 * /metrics.
 *
 * The verdict is on the trend after the warm-up (SOAK_WARMUP_SECONDS): a least-squares line
 * through every sample of heap used and of RSS, whose values at the first and the last sample are
 * the curve's start and end; more than 10% growth fails. The line, not the medians of the first
 * and last minute: the heap used at a random instant is mostly garbage awaiting the next
 * collection (25 to 110 MB within seconds under this load), so a minute's median moves by up to
 * 10% and its minimum by a third with the sampling phase alone, while a line through hundreds of
 * samples does not. Those medians are reported beside it, with the slope and its uncertainty.
 * Any answer the load did not expect (a 5xx, a network error) fails too. A 503 OVERLOADED is the
 * service shedding load as designed (the machine is shared): counted and reported, not a failure.
 *
 * Prints a table and writes bench/results/soak-<date>.csv (every sample) and .json (summary).
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, loadavg } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { listingContactId, populate } from '../bench/populate.js'
import { startRedis, startService } from '../bench/processes.js'
import { positive } from '../bench/settings.js'
import { isoformat, LOCATIONS, pythonJson, stateDocument } from '../bench/state-doc.js'
import { prng } from '../test/fixtures/prng.js'
import { keepAliveClient, type Answer } from '../test/support/keep-alive-client.js'

const settings = {
  seconds: positive('SOAK_SECONDS', 600),
  warmupSeconds: positive('SOAK_WARMUP_SECONDS', 60),
  requestsPerSecond: positive('SOAK_RATE', 1000),
  contacts: Math.round(positive('SOAK_CONTACTS', 10_000)),
  // Many samples make the trend line steady through the sawtooth of garbage collection.
  sampleSeconds: positive('SOAK_SAMPLE_SECONDS', 1),
  workers: 32,
  maxGrowthPercent: 10
}
if (settings.warmupSeconds >= settings.seconds) throw new Error('SOAK_WARMUP_SECONDS must be shorter than SOAK_SECONDS')
// The first and the last minute after the warm-up (reported beside the trend), or thirds of what is left in a short run.
const windowSeconds = Math.min(60, (settings.seconds - settings.warmupSeconds) / 3)

const RESULTS = fileURLToPath(new URL('../bench/results/', import.meta.url))
const JSON_BODY = { 'content-type': 'application/json' }
const MERGE_PATCH = { 'content-type': 'application/merge-patch+json' }
const MB = 1024 * 1024
const log = (message: string): void => { process.stderr.write(`${message}\n`) }

interface Sample {
  seconds: number
  heapUsedBytes: number
  /** What V8 has reserved for the heap, and memory held outside it (Buffers): where RSS goes besides the heap used. */
  heapTotalBytes: number
  externalBytes: number
  rssBytes: number
  requestsPerSecond: number
}

/** What the load saw: answers by operation and status, and those it did not expect. */
class Tally {
  requests = 0
  replays = 0
  /** 503 OVERLOADED: the service shedding load while its event loop lags. */
  shed = 0
  readonly byOperation = new Map<string, number>()
  readonly unexpected = new Map<string, number>()
  /** The first answers of each unexpected kind, as they came. */
  readonly examples = new Map<string, string[]>()

  record (operation: string, status: number | 'network error', expected: boolean, detail: string): void {
    this.requests++
    const key = `${operation} ${status}`
    this.byOperation.set(key, (this.byOperation.get(key) ?? 0) + 1)
    if (expected) return
    this.unexpected.set(key, (this.unexpected.get(key) ?? 0) + 1)
    const examples = this.examples.get(key) ?? []
    if (examples.length < 3) this.examples.set(key, [...examples, detail.slice(0, 500)])
  }

  get unexpectedCount (): number { return [...this.unexpected.values()].reduce((sum, n) => sum + n, 0) }
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] as number : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

function metricOf (text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `))
  if (line === undefined) throw new Error(`/metrics has no ${name}`)
  return Number(line.slice(name.length + 1))
}

async function main (): Promise<void> {
  const redis = await startRedis()
  const service = await startService(redis.url, 'soak:', {
    // As deployed: the periodic sweep runs. Idempotency records live 2 min instead of 24 h, so
    // that Redis does not fill with them; the service's side of them is the same.
    SWEEP_INTERVAL_SECONDS: '60',
    IDEMPOTENCY_TTL_SECONDS: '120'
  })
  const http = keepAliveClient(service.url, settings.workers + 2)
  const tally = new Tally()
  const samples: Sample[] = []
  let missedSamples = 0
  const started = new Date()
  const loadAtStart = loadavg()[0] ?? 0
  try {
    log(`soak: ${settings.seconds} s at ~${settings.requestsPerSecond} req/s, ${settings.contacts} contacts, service ${service.url}, redis ${redis.url}`)
    await populate(redis.url, 'soak:', 0, settings.contacts, Date.now())
    log(`every ${PERIOD_SECONDS} s: until, medians of heap used, heap total, external and RSS (MB), req/s`)

    const loadStart = Date.now()
    const deadline = loadStart + settings.seconds * 1000
    const interval = 1000 / settings.requestsPerSecond
    let nextSlot = loadStart

    /** Waits for the next request's turn: a steady rate, with at most 100 ms of catching up. */
    async function pace (): Promise<void> {
      nextSlot = Math.max(nextSlot, Date.now() - 100) + interval
      const wait = nextSlot - Date.now()
      if (wait > 0) await sleep(wait)
    }

    /** One paced request, counted under `operation`; null after a network error. */
    async function call (operation: string, expected: readonly number[], method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Answer | null> {
      await pace()
      try {
        const answer = await http.send(method, path, body, headers)
        const shed = answer.status === 503 && answer.body.includes('"OVERLOADED"')
        if (shed) tally.shed++
        tally.record(operation, answer.status, shed || expected.includes(answer.status), answer.body)
        return answer
      } catch (err) {
        tally.record(operation, 'network error', false, (err as Error).message)
        return null
      }
    }

    const operations = operationsOf(call, tally)
    const weighted = Object.entries(WEIGHTS).flatMap(([name, weight]) => Array<keyof typeof WEIGHTS>(weight).fill(name as keyof typeof WEIGHTS))

    async function worker (n: number): Promise<void> {
      const random = prng(n + 1)
      for (let turn = 0; Date.now() < deadline; turn++) {
        const operation = weighted[Math.floor(random() * weighted.length)] as keyof typeof WEIGHTS
        const contact = Math.floor(random() * settings.contacts)
        await operations[operation]({ random, contact, id: listingContactId(contact), smsId: `SM${n}x${turn}` })
      }
    }

    async function sampler (): Promise<void> {
      let counted = 0
      let at = loadStart
      let printed = 0
      while (Date.now() < deadline) {
        await sleep(Math.min(settings.sampleSeconds * 1000, Math.max(0, deadline - Date.now())))
        const metrics = await http.send('GET', '/metrics')
        // Shed (503 OVERLOADED) like any request while the event loop lags: no sample this time.
        if (metrics.status !== 200) {
          missedSamples++
          continue
        }
        const now = Date.now()
        samples.push({
          seconds: (now - loadStart) / 1000,
          heapUsedBytes: metricOf(metrics.body, 'nodejs_heap_size_used_bytes'),
          heapTotalBytes: metricOf(metrics.body, 'nodejs_heap_size_total_bytes'),
          externalBytes: metricOf(metrics.body, 'nodejs_external_memory_bytes'),
          rssBytes: metricOf(metrics.body, 'process_resident_memory_bytes'),
          requestsPerSecond: (tally.requests - counted) / ((now - at) / 1000)
        })
        counted = tally.requests
        at = now
        const periods = periodsOf(samples)
        if (periods.length > printed) log(periodRow(periods[printed] as Period).join('  '))
        printed = periods.length
      }
    }

    await Promise.all([sampler(), ...Array.from({ length: settings.workers }, async (_, n) => await worker(n))])
    const report = analyse(samples, tally, (Date.now() - loadStart) / 1000)
    const stamp = started.toISOString().slice(0, 19).replace(/:/g, '-')
    await mkdir(RESULTS, { recursive: true })
    await writeFile(`${RESULTS}soak-${stamp}.csv`, csv(samples))
    await writeFile(`${RESULTS}soak-${stamp}.json`, JSON.stringify({
      date: started.toISOString(),
      node: process.version,
      cpu: cpus()[0]?.model.trim() ?? 'unknown',
      cores: cpus().length,
      settings: { ...settings, windowSeconds },
      ...report,
      answers: Object.fromEntries([...tally.byOperation].sort()),
      unexpected: Object.fromEntries(tally.unexpected),
      unexpectedExamples: Object.fromEntries(tally.examples),
      idempotentReplays: tally.replays,
      shed: tally.shed,
      missedSamples,
      loadAverage: { start: loadAtStart, end: loadavg()[0] ?? 0 },
      // Its warnings and errors (LOG_LEVEL=warn): the stack of a 5xx is there.
      serviceOutputTail: service.output()
    }, null, 2) + '\n')
    process.stdout.write(`\n${formatReport(samples, report, tally)}\n${missedSamples} samples missed (/metrics shed)\n\nwrote bench/results/soak-${stamp}.csv and .json\n`)
    if (!report.pass || tally.unexpectedCount > 0) process.exitCode = 1
  } catch (err) {
    log(`the soak stopped: ${(err as Error).message}\nthe service's last output:\n${service.output()}`)
    throw err
  } finally {
    http.close()
    await service.stop()
    await redis.stop()
  }
}

// ---- the load ----

/** How often each operation is picked (per 100); the bot's turn dominates, as in production. */
const WEIGHTS = { botTurn: 45, patch: 20, conditionalGet: 8, deleteAndRecreate: 4, listing: 8, summary: 5, mistake: 10 }

interface Pick { random: () => number, contact: number, id: string, smsId: string }
type Call = (operation: string, expected: readonly number[], method: string, path: string, body?: string, headers?: Record<string, string>) => Promise<Answer | null>

const statePath = (id: string): string => `/seller/state/${id}`
const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T
const nowIso = (random: () => number): string => isoformat(Date.now(), Math.floor(random() * 1_000_000), false)

/** What a message does to a conversation: one more line of history (the bot keeps 20), maybe the next question. */
function applyMessage (doc: Record<string, any>, random: () => number): Record<string, any> {
  const history = [...doc.conversation_history as unknown[], { role: 'user', content: `message at ${nowIso(random)}` }].slice(-20)
  const next: Record<string, any> = { ...doc, conversation_history: history, last_interaction: nowIso(random) }
  const question = /^Q([0-3])$/.exec(String(doc.stage))
  if (question !== null && random() < 0.3) {
    const n = Number(question[1]) + 1
    Object.assign(next, { stage: `Q${n}`, current_question: n, questions_answered: n - 1 })
  }
  return next
}

const LISTINGS = [
  '/seller/active?page_size=50',
  '/seller/active?location_id=loc-03&sort=conversation_started&order=asc',
  '/seller/active?stage=Q2&view=full&page=2',
  '/seller/active?temperature=HOT&stalled=false&page_size=100',
  '/seller/active?stalled=true&sort=stage',
  '/seller/active?sort=temperature&order=asc&page=5',
  '/seller/active?q=Elm&location_id=loc-07'
]

function operationsOf (call: Call, tally: Tally): Record<keyof typeof WEIGHTS, (pick: Pick) => Promise<void>> {
  const create = async ({ contact, id, smsId }: Pick): Promise<void> => {
    await call('create', [201, 412], 'PUT', statePath(id), pythonJson(stateDocument(id, contact, Date.now())), { ...JSON_BODY, 'if-none-match': '*', 'idempotency-key': smsId })
  }

  // The same mistakes a client makes, each with the answer it must get.
  const mistakes: Array<(pick: Pick) => Promise<unknown>> = [
    async () => await call('bad id', [400], 'GET', '/seller/state/not%20an%20id'),
    async ({ id }) => await call('unknown contact', [404], 'GET', statePath(`${id}-nobody`)),
    async ({ id, contact }) => await call('invalid document', [400], 'PUT', statePath(id), JSON.stringify({ ...stateDocument(id, contact, Date.now()), stage: 'Q9' }), JSON_BODY),
    async ({ id }) => await call('not json', [400], 'PUT', statePath(id), '{"location_id": ', JSON_BODY),
    async ({ id }) => await call('not a json type', [415], 'PUT', statePath(id), 'hello', { 'content-type': 'text/plain' }),
    async ({ id }) => await call('stale if-match', [412], 'PUT', statePath(id), pythonJson(stateDocument(id, 0, Date.now())), { ...JSON_BODY, 'if-match': '"stale"' }),
    async ({ id }) => await call('invalid patch result', [400, 404], 'PATCH', statePath(id), '{"current_question": 9}', MERGE_PATCH),
    async () => await call('bad listing query', [400], 'GET', '/seller/active?page_size=500'),
    async () => await call('unknown route', [404], 'GET', '/seller/nothing-here'),
    async ({ id, smsId }) => {
      const first = await call('patch', [200, 404], 'PATCH', statePath(id), '{"urgency": "low"}', { ...MERGE_PATCH, 'idempotency-key': smsId })
      if (first?.status === 200) await call('idempotency key reused', [422], 'PATCH', statePath(id), '{"urgency": "high"}', { ...MERGE_PATCH, 'idempotency-key': smsId })
    }
  ]

  return {
    // GET, apply the message, PUT with If-Match; on 412 once more, as the bot does; 404: create.
    async botTurn (p) {
      for (let attempt = 0; attempt < 3; attempt++) {
        const read = await call('bot GET', [200, 404], 'GET', statePath(p.id))
        if (read?.status === 404) return await create(p)
        if (read?.status !== 200) return
        const body = pythonJson(applyMessage(JSON.parse(read.body) as Record<string, any>, p.random))
        const write = await call('bot PUT', [200, 412, 422], 'PUT', statePath(p.id), body, { ...JSON_BODY, 'if-match': String(read.headers.etag), 'idempotency-key': p.smsId })
        if (write?.status !== 412) return
      }
    },
    // A few fields by merge patch, half with an Idempotency-Key; a tenth of those redelivered.
    async patch ({ random, id, smsId }) {
      const body = JSON.stringify({ last_interaction: nowIso(random), urgency: pick(random, ['high', 'medium', 'low']), extracted_data: { last_sms_id: smsId } })
      const keyed = random() < 0.5
      const headers = keyed ? { ...MERGE_PATCH, 'idempotency-key': smsId } : MERGE_PATCH
      const first = await call('patch', [200, 404], 'PATCH', statePath(id), body, headers)
      if (keyed && first?.status === 200 && random() < 0.1) {
        const again = await call('patch redelivered', [200], 'PATCH', statePath(id), body, headers)
        if (again?.headers['idempotent-replayed'] === 'true') tally.replays++
      }
    },
    async conditionalGet ({ id }) {
      const read = await call('GET', [200, 404], 'GET', statePath(id))
      if (read?.status === 200) await call('GET if-none-match', [200, 304, 404], 'GET', statePath(id), undefined, { 'if-none-match': String(read.headers.etag) })
    },
    async deleteAndRecreate (p) {
      await call('DELETE', [204], 'DELETE', statePath(p.id))
      await create(p)
    },
    // A listing, and on a third of them the next two pages by cursor.
    async listing ({ random }) {
      const query = pick(random, LISTINGS)
      let page = await call('listing', [200], 'GET', query)
      for (let more = random() < 0.33 ? 2 : 0; more > 0 && page?.status === 200; more--) {
        const cursor = (JSON.parse(page.body) as { next_cursor: string | null }).next_cursor
        if (cursor === null) return
        page = await call('listing by cursor', [200], 'GET', `${query}&cursor=${cursor}`)
      }
    },
    async summary ({ random }) {
      await call('summary', [200], 'GET', random() < 0.5 ? '/seller/active/summary' : `/seller/active/summary?location_id=${pick(random, LOCATIONS)}`)
    },
    async mistake (p) {
      await pick(p.random, mistakes)(p)
    }
  }
}

// ---- the verdict ----

const PERIOD_SECONDS = 30

/** The medians of a stretch of time's samples. */
interface Period {
  untilSeconds: number
  samples: number
  heapUsedMb: number
  heapTotalMb: number
  externalMb: number
  rssMb: number
  requestsPerSecond: number
}

function periodOf (samples: readonly Sample[], untilSeconds: number): Period {
  const mb = (value: (s: Sample) => number): number => median(samples.map(value)) / MB
  return {
    untilSeconds,
    samples: samples.length,
    heapUsedMb: mb((s) => s.heapUsedBytes),
    heapTotalMb: mb((s) => s.heapTotalBytes),
    externalMb: mb((s) => s.externalBytes),
    rssMb: mb((s) => s.rssBytes),
    requestsPerSecond: samples.reduce((sum, s) => sum + s.requestsPerSecond, 0) / samples.length
  }
}

/** The complete 30 s periods so far, for the table. */
function periodsOf (samples: readonly Sample[]): Period[] {
  const last = samples[samples.length - 1]?.seconds ?? 0
  return Array.from({ length: Math.floor(last / PERIOD_SECONDS) }, (_, i) => periodOf(
    samples.filter((s) => s.seconds > i * PERIOD_SECONDS && s.seconds <= (i + 1) * PERIOD_SECONDS), (i + 1) * PERIOD_SECONDS))
}

/** The least-squares line through the samples: the curve's start and end without the sawtooth of garbage collection. */
interface Trend {
  startMb: number
  endMb: number
  growthPercent: number
  slopeMbPerMinute: number
  /** Two standard errors of the slope: a slope within ± this of 0 is no trend. */
  slopeUncertaintyMbPerMinute: number
}

function trendOf (samples: readonly Sample[], value: (s: Sample) => number): Trend {
  const n = samples.length
  const xs = samples.map((s) => s.seconds / 60)
  const ys = samples.map((s) => value(s) / MB)
  const meanX = xs.reduce((a, b) => a + b, 0) / n
  const meanY = ys.reduce((a, b) => a + b, 0) / n
  const sxx = xs.reduce((sum, x) => sum + (x - meanX) ** 2, 0)
  const slope = xs.reduce((sum, x, i) => sum + (x - meanX) * ((ys[i] as number) - meanY), 0) / sxx
  const at = (x: number): number => meanY + slope * (x - meanX)
  const residuals = xs.reduce((sum, x, i) => sum + ((ys[i] as number) - at(x)) ** 2, 0)
  const startMb = at(xs[0] as number)
  const endMb = at(xs[n - 1] as number)
  return {
    startMb,
    endMb,
    growthPercent: (endMb / startMb - 1) * 100,
    slopeMbPerMinute: slope,
    slopeUncertaintyMbPerMinute: 2 * Math.sqrt(residuals / (n - 2) / sxx)
  }
}

interface Report {
  durationSeconds: number
  requests: number
  requestsPerSecond: number
  heapUsed: Trend
  rss: Trend
  /** The medians of the first and the last minute after the warm-up, for comparison. */
  firstMinute: Period
  lastMinute: Period
  pass: boolean
}

function analyse (samples: readonly Sample[], tally: Tally, durationSeconds: number): Report {
  const measured = samples.filter((s) => s.seconds >= settings.warmupSeconds)
  if (measured.length < 10) throw new Error('too few samples after the warm-up: lengthen SOAK_SECONDS')
  const last = (measured[measured.length - 1] as Sample).seconds
  const heapUsed = trendOf(measured, (s) => s.heapUsedBytes)
  const rss = trendOf(measured, (s) => s.rssBytes)
  return {
    durationSeconds,
    requests: tally.requests,
    requestsPerSecond: tally.requests / durationSeconds,
    heapUsed,
    rss,
    firstMinute: periodOf(measured.filter((s) => s.seconds < settings.warmupSeconds + windowSeconds), settings.warmupSeconds + windowSeconds),
    lastMinute: periodOf(measured.filter((s) => s.seconds > last - windowSeconds), last),
    pass: heapUsed.growthPercent <= settings.maxGrowthPercent && rss.growthPercent <= settings.maxGrowthPercent
  }
}

const periodRow = (p: Period): string[] => [`${p.untilSeconds.toFixed(0)} s`,
  ...[p.heapUsedMb, p.heapTotalMb, p.externalMb, p.rssMb].map((mb) => mb.toFixed(1)), p.requestsPerSecond.toFixed(0)]

function csv (samples: readonly Sample[]): string {
  return ['seconds,heap_used_bytes,heap_total_bytes,external_bytes,rss_bytes,requests_per_second', ...samples.map((s) =>
    `${s.seconds.toFixed(1)},${s.heapUsedBytes},${s.heapTotalBytes},${s.externalBytes},${s.rssBytes},${s.requestsPerSecond.toFixed(1)}`)].join('\n') + '\n'
}

function formatReport (samples: readonly Sample[], report: Report, tally: Tally): string {
  const header = ['until', 'heap used', 'heap total', 'external', 'RSS', 'req/s']
  const lines = [header, ...periodsOf(samples).map(periodRow)].map((cells) => cells.map((cell, i) => i === 0 ? cell.padEnd(7) : cell.padStart(10)).join('  '))
  const trend = (t: Trend): string => `${t.startMb.toFixed(1)} MB -> ${t.endMb.toFixed(1)} MB (${t.growthPercent >= 0 ? '+' : ''}${t.growthPercent.toFixed(1)}%), ` +
    `slope ${t.slopeMbPerMinute.toFixed(2)} ± ${t.slopeUncertaintyMbPerMinute.toFixed(2)} MB/min`
  const minutes = (value: (p: Period) => number): string => `${value(report.firstMinute).toFixed(1)} MB -> ${value(report.lastMinute).toFixed(1)} MB`
  const unexpected = tally.unexpectedCount === 0
    ? 'every answer was one the load expected'
    : `${tally.unexpectedCount} unexpected answers: ${JSON.stringify(Object.fromEntries(tally.unexpected))}\n` +
      [...tally.examples].flatMap(([key, bodies]) => bodies.map((body) => `  ${key}: ${body}`)).join('\n')
  return [
    `medians (MB) of every ${PERIOD_SECONDS} s, and the requests answered per second`,
    ...lines,
    '',
    `${report.requests} requests in ${report.durationSeconds.toFixed(0)} s (${report.requestsPerSecond.toFixed(0)} req/s); ` +
      `${tally.replays} idempotent replays; ${tally.shed} shed (503 OVERLOADED); ${unexpected}`,
    `trend after a ${settings.warmupSeconds} s warm-up (least squares through ${samples.filter((s) => s.seconds >= settings.warmupSeconds).length} samples):`,
    `  heap used  ${trend(report.heapUsed)}`,
    `  RSS        ${trend(report.rss)}`,
    `medians of the first and last ${windowSeconds} s: heap used ${minutes((p) => p.heapUsedMb)}, RSS ${minutes((p) => p.rssMb)}`,
    `${report.pass ? 'PASS' : 'FAIL'}: heap used and RSS ${report.pass ? 'within' : 'beyond'} +${settings.maxGrowthPercent}%`
  ].join('\n')
}

process.once('SIGINT', () => process.exit(130))
await main()
