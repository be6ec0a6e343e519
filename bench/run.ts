/**
 * `npm run bench`: one run of every case, in order, against a private redis-server.
 *   1. the ceiling: a bare Fastify app, GET and PUT;
 *   2. the built service: PUT, GET and the bot turn over 10,000 contacts;
 *   3. listing and summary at 1k, 10k and 100k active contacts (populated through the service),
 *      4. with the prototype's algorithm at 1k and 10k after the service at the same N;
 *   5. Redis memory at 100k;
 *   6. the same service on a local 3-master Redis Cluster: the bot's path, and the listing at 100k;
 *   7. "before": an earlier build (BENCH_BEFORE_BUILD) on single node, bot path and listing at
 *      100k, or else the figures of bench/results/before-cluster.json;
 * then the tables, bench/results/latest.json and bench/results/listing.svg.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { botCases } from './bot-cases.js'
import { listingChart } from './chart.js'
import { startRedisCluster } from '../test/support/redis-cluster.js'
import { measureMemory, type MemoryReport } from './memory.js'
import { startCeiling, startRedis, startService, type Child, type RedisTarget } from './processes.js'
import { prototype, type Variant } from './prototype-listing.js'
import { formatReport, ratios, type ListingResult, type PrototypeResult, type Results, type TargetResults } from './report.js'
import { listingRedisTime, type ListingRedisTime } from './listing-redis-time.js'
import { populate } from './populate.js'
import { measureBotPath, measureListingAt } from './service-cases.js'
import { loadSettings } from './settings.js'
import { sideBySide, type Before } from './side-by-side.js'

const RESULTS = fileURLToPath(new URL('results/', import.meta.url))
const settings = loadSettings()
const started = Date.now()
const loadAtStart = loadavg()[0] ?? 0
const phases: Record<string, number> = {}
// Requests per listing case timed in Redis (listing-redis-time.ts), after the timed cases.
const REDIS_TIME_REQUESTS = 10
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
    const http = { connections: settings.connections, durationSeconds: settings.durationSeconds }
    const bot = botCases(settings.botContacts, nowMs)

    const ceiling = await phase('ceiling', () => withChild(startCeiling, async ({ url }) => ({
      get: await bot.get(url, http),
      put: await bot.put(url, http)
    })))

    const service = await phase('service bot path', () => withChild(() => startService(redis.url, 'bench:bot:'),
      async ({ url }) => await measureBotPath(url, settings.botContacts, nowMs, http)))

    const listing: ListingResult[] = []
    const prototypeRows: PrototypeResult[] = []
    let memory: MemoryReport | null = null
    let redisTime: ListingRedisTime[] = []
    const proto = prototype(redis.url)
    await withChild(() => startService(redis.url, 'bench:list:'), async ({ url }) => {
      let populated = 0
      let protoPopulated = 0
      for (const n of settings.listingSizes) {
        await phase(`populate ${n}`, () => populate(redis.url, 'bench:list:', populated, n, nowMs))
        populated = n
        listing.push(...await phase(`listing ${n}`, () => measureListingAt(url, n, settings, log)))
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
      redisTime = await phase('listing Redis time', () => listingRedisTime(url, [redis.port], REDIS_TIME_REQUESTS))
      memory = await phase('memory', () => measureMemory(redis.url, 'bench:list:', populated, /lc\d{7}$/))
    }).finally(() => proto.close())

    const cluster = await phase('cluster start', () => startRedisCluster({ masters: settings.clusterMasters }))
    const onCluster = await measureTarget('cluster', { clusterNodes: cluster.nodes, buckets: settings.clusterBuckets }, nowMs,
      { prefix: 'bench:cluster:list:', populate: true, masterPorts: cluster.masters.map(({ port }) => port) }).finally(() => cluster.stop())
    // The earlier build lists the contacts single node listed: same key names, same indexes.
    const before = settings.beforeBuild === null
      ? await beforeFromFile()
      : {
          source: `build of ${settings.beforeBuild}, listing the contacts the single-node cases listed`,
          ...await measureTarget('before', redis.url, nowMs, { prefix: 'bench:list:', populate: false, masterPorts: [redis.port] }, settings.beforeBuild)
        }

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
      listingRedisTime: redisTime,
      cluster: { masters: settings.clusterMasters, buckets: settings.clusterBuckets, ...onCluster },
      before,
      phases,
      loadAverage: { start: loadAtStart, end: loadavg()[0] ?? 0 },
      totalSeconds: (Date.now() - started) / 1000
    }
    const r = ratios(results)
    const comparison = sideBySide(results)
    await mkdir(RESULTS, { recursive: true })
    await writeFile(`${RESULTS}latest.json`, JSON.stringify({ ...results, ratios: r, sideBySide: comparison.figures }, null, 2) + '\n')
    await writeFile(`${RESULTS}listing.svg`, listingChart(results))
    process.stdout.write(`\n${formatReport(results, r)}\n\n${comparison.text}\n\nwrote bench/results/latest.json and bench/results/listing.svg\n`)
  } finally {
    await redis.stop()
  }
}

/**
 * The bot's path, and the listing at settings.clusterListingSize under `listing.prefix` (populated
 * first, or already there), on services of its own.
 */
async function measureTarget (
  name: string, redisTarget: RedisTarget, nowMs: number, listing: { prefix: string, populate: boolean, masterPorts: number[] }, checkout?: string
): Promise<TargetResults> {
  const n = settings.clusterListingSize
  const http = { connections: settings.connections, durationSeconds: settings.durationSeconds }
  const service = await phase(`${name} bot path`, () => withChild(() => startService(redisTarget, `bench:${name}:bot:`, {}, checkout),
    async ({ url }) => await measureBotPath(url, settings.botContacts, nowMs, http)))
  // Started before populating, as on single node: the start-up index sweep finds nothing to do
  // (over 100,000 contacts on a loaded machine it can outlast Fastify's start-up timeout).
  return await withChild(() => startService(redisTarget, listing.prefix, {}, checkout), async ({ url }) => {
    if (listing.populate) await phase(`${name} populate ${n}`, () => populate(redisTarget, listing.prefix, 0, n, nowMs))
    return {
      service,
      listing: await phase(`${name} listing ${n}`, () => measureListingAt(url, n, settings, log)),
      listingRedisTime: await phase(`${name} listing Redis time`, () => listingRedisTime(url, listing.masterPorts, REDIS_TIME_REQUESTS))
    }
  })
}

/** The figures of the last run before the cluster work, kept in bench/results/before-cluster.json. */
async function beforeFromFile (): Promise<Before> {
  const file = 'before-cluster.json'
  const earlier = JSON.parse(await readFile(RESULTS + file, 'utf8')) as Results
  return {
    source: `bench/results/${file} (run of ${earlier.date}, load average ${earlier.loadAverage.start.toFixed(2)})`,
    service: earlier.service,
    listing: earlier.listing.filter((row) => row.n === settings.clusterListingSize),
    listingRedisTime: []
  }
}

process.once('SIGINT', () => process.exit(130))
await main()
