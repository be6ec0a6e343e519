/**
 * `npm run bench`: one run of every case, in order, against a private redis-server.
 *   1. the bot's path: GET and PUT of the ceiling (a bare Fastify app), the floor (one Redis round
 *      trip) and the built service over 10,000 contacts, in rounds, then the service's bot turn;
 *   2. listing and summary at 1k, 10k and 100k active contacts (populated through the service),
 *   3. the prototype's algorithm at 1k and 10k, after the service at the same N;
 * then Redis memory at 100k, the table, bench/results/latest.json and bench/results/listing.svg.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { botCases } from './bot-cases.js'
import { measureBotPath, type BotPathResult } from './bot-path.js'
import { listingChart } from './chart.js'
import { LISTING_CASES, measureListing } from './listing.js'
import { measureMemory, type MemoryReport } from './memory.js'
import { populate } from './populate.js'
import { choosePlacement, pinThisProcess } from './pinning.js'
import { startRedis, startService, type Child } from './processes.js'
import { prototype, type Variant } from './prototype-listing.js'
import { formatReport, ratios, type ListingResult, type PrototypeResult, type Results } from './report.js'
import { loadSettings, PHASES } from './settings.js'

const RESULTS = fileURLToPath(new URL('results/', import.meta.url))
const settings = loadSettings()
const placement = choosePlacement()
const started = Date.now()
const loadAtStart = loadavg()[0] ?? 0
const phases: Record<string, number> = {}
const log = (message: string): void => { process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${message}\n`) }

async function phase<T> (name: string, work: () => Promise<T>): Promise<T> {
  const t0 = Date.now()
  log(`${name}...`)
  try {
    return await work()
  } finally {
    phases[name] = (Date.now() - t0) / 1000
  }
}

async function withChild<T> (start: () => Promise<Child>, work: (child: Child) => Promise<T>): Promise<T> {
  const child = await start()
  try {
    return await work(child)
  } finally {
    await child.stop()
  }
}

/** Listing and summary at each size, the prototype's algorithm, then Redis memory at the largest. */
async function listingPhase (redisUrl: string, nowMs: number): Promise<{ listing: ListingResult[], prototype: PrototypeResult[], memory: MemoryReport | null }> {
  const listing: ListingResult[] = []
  const prototypeRows: PrototypeResult[] = []
  let memory: MemoryReport | null = null
  const proto = prototype(redisUrl)
  // Unpinned: a listing is timed one request at a time, and populating 100,000 contacts through a
  // service held to one core made it shed writes (503) on a busy machine.
  await withChild(() => startService(redisUrl, 'bench:list:'), async ({ url, output }) => {
    let populated = 0
    let protoPopulated = 0
    for (const n of settings.listingSizes) {
      await phase(`populate ${n}`, () => populate(url, populated, n, nowMs, log)).catch((err: Error) => {
        throw new Error(`${err.message}\nthe service's last output:\n${output()}`)
      })
      populated = n
      await phase(`listing ${n}`, async () => {
        for (const listingCase of LISTING_CASES) {
          const stats = await measureListing(url, listingCase, settings)
          listing.push({ n, case: listingCase.name, stats })
          log(`  ${listingCase.name}: ${stats.mode === 'failed'
            ? `failed after ${stats.probeMs.toFixed(0)} ms: ${stats.error ?? ''}`
            : `p50 ${stats.p50.toFixed(2)} ms (${stats.mode}, ${stats.count} samples, matched ${stats.matched})`}`)
        }
      })
      if (settings.prototypeSizes.includes(n)) {
        await phase(`prototype ${n}`, async () => {
          await proto.populate(protoPopulated, n, nowMs)
          protoPopulated = n
          for (const variant of ['sequential', 'pipelined'] as Variant[]) {
            const stats = await proto.time(variant, settings.durationSeconds, settings.slowSamples)
            prototypeRows.push({ n, variant, stats })
            log(`  prototype ${variant}: p50 ${stats.p50.toFixed(2)} ms (${stats.count} samples)`)
          }
        })
      }
    }
    memory = await phase('memory', () => measureMemory(redisUrl, 'bench:list:', populated, /lc\d{7}$/))
  }).finally(() => proto.close())
  return { listing, prototype: prototypeRows, memory }
}

async function main (): Promise<void> {
  // The load generator is this process: on the load CPUs, with Redis.
  if (placement !== null) pinThisProcess(placement.load)
  const redis = await startRedis(placement?.load)
  try {
    const nowMs = Date.now()
    const http = { connections: settings.connections, durationSeconds: settings.durationSeconds }

    let bot: BotPathResult | null = null
    if (settings.phases.includes('bot')) {
      bot = await phase('bot path', () => measureBotPath(botCases(settings.botContacts, nowMs), {
        redis, http, rounds: settings.rounds, serverCpus: placement?.server, log
      }))
    }

    const listed = settings.phases.includes('listing') ? await listingPhase(redis.url, nowMs) : null

    const results: Results = {
      date: new Date(started).toISOString(),
      node: process.version,
      cpu: cpus()[0]?.model.trim() ?? 'unknown',
      cores: cpus().length,
      settings,
      placement,
      bot,
      listing: listed?.listing ?? [],
      prototype: listed?.prototype ?? [],
      memory: listed?.memory ?? null,
      phases,
      loadAverage: { start: loadAtStart, end: loadavg()[0] ?? 0 },
      totalSeconds: (Date.now() - started) / 1000
    }
    const r = ratios(results)
    process.stdout.write(`\n${formatReport(results, r)}\n`)
    // A partial run (BENCH_PHASES) leaves the results of the last whole run as they are.
    if (settings.phases.length < PHASES.length) return
    await mkdir(RESULTS, { recursive: true })
    await writeFile(`${RESULTS}latest.json`, JSON.stringify({ ...results, ratios: r }, null, 2) + '\n')
    await writeFile(`${RESULTS}listing.svg`, listingChart(results))
    process.stdout.write('\nwrote bench/results/latest.json and bench/results/listing.svg\n')
  } finally {
    await redis.stop()
  }
}

process.once('SIGINT', () => process.exit(130))
await main()
