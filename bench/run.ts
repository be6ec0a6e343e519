/**
 * `npm run bench`: one run of every case, in order, against a private redis-server.
 *   1. the ceiling: a bare Fastify app, GET and PUT;
 *   2. the built service: PUT, GET and the bot turn over 10,000 contacts;
 *   3. listing and summary at 1k, 10k and 100k active contacts (populated through the service),
 *      4. with the prototype's algorithm at 1k and 10k after the service at the same N;
 * then Redis memory at 100k, the table, bench/results/latest.json and bench/results/listing.svg.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { botCases } from './bot-cases.js'
import { listingChart } from './chart.js'
import { LISTING_CASES, measureListing } from './listing.js'
import { measureMemory, type MemoryReport } from './memory.js'
import { populate } from './populate.js'
import { startCeiling, startRedis, startService, type Child } from './processes.js'
import { prototype, type Variant } from './prototype-listing.js'
import { formatReport, ratios, type ListingResult, type PrototypeResult, type Results } from './report.js'
import { loadSettings } from './settings.js'

const RESULTS = fileURLToPath(new URL('results/', import.meta.url))
const settings = loadSettings()
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

async function main (): Promise<void> {
  const redis = await startRedis()
  try {
    const nowMs = Date.now()
    const bot = botCases(settings.botContacts, nowMs)
    const http = { connections: settings.connections, durationSeconds: settings.durationSeconds }

    const ceiling = await phase('ceiling', () => withChild(startCeiling, async ({ url }) => ({
      get: await bot.get(url, http),
      put: await bot.put(url, http)
    })))

    const service = await phase('service bot path', () => withChild(() => startService(redis.url, 'bench:bot:'), async ({ url }) => {
      const put = await bot.put(url, http)
      await bot.fill(url)
      const get = await bot.get(url, http)
      const turn = await bot.turn(url, http)
      return { put, get, turn: turn.turn, turnRequests: turn.requests }
    }))

    const listing: ListingResult[] = []
    const prototypeRows: PrototypeResult[] = []
    let memory: MemoryReport | null = null
    const proto = prototype(redis.url)
    await withChild(() => startService(redis.url, 'bench:list:'), async ({ url, output }) => {
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
      memory = await phase('memory', () => measureMemory(redis.url, 'bench:list:', populated, /lc\d{7}$/))
    }).finally(() => proto.close())

    const results: Results = {
      date: new Date(started).toISOString(),
      node: process.version,
      cpu: cpus()[0]?.model.trim() ?? 'unknown',
      cores: cpus().length,
      settings,
      ceiling,
      service,
      listing,
      prototype: prototypeRows,
      memory,
      phases,
      loadAverage: { start: loadAtStart, end: loadavg()[0] ?? 0 },
      totalSeconds: (Date.now() - started) / 1000
    }
    const r = ratios(results)
    await mkdir(RESULTS, { recursive: true })
    await writeFile(`${RESULTS}latest.json`, JSON.stringify({ ...results, ratios: r }, null, 2) + '\n')
    await writeFile(`${RESULTS}listing.svg`, listingChart(results))
    process.stdout.write(`\n${formatReport(results, r)}\n\nwrote bench/results/latest.json and bench/results/listing.svg\n`)
  } finally {
    await redis.stop()
  }
}

process.once('SIGINT', () => process.exit(130))
await main()
