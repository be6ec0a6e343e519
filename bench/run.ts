/**
 * `npm run bench`: one run of every case, in order, against a private redis-server.
 *   1. the bot's path: GET and PUT of the ceiling (a bare Fastify app), the floor (one Redis round
 *      trip) and the built service over 10,000 contacts, in rounds, then the service's bot turn;
 *   2. listing and summary at 1k, 10k and 100k active contacts (populated through the state
 *      repository), the prototype's algorithm at 1k and 10k after the service at the same N,
 *      where the listing's Redis time goes, Redis memory at 100k;
 *   3. the same service on a local 3-master Redis Cluster: the bot's path, and the listing at 100k;
 *      "before": an earlier build (BENCH_BEFORE_BUILD) on single node, bot path and listing at
 *      100k, or else the figures of bench/results/before-cluster.json;
 * then the tables (single node's, then single node and cluster side by side),
 * bench/results/latest.json and bench/results/listing.svg (tmp/bench-smoke/ with BENCH_SMOKE=1).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { botCases } from './bot-cases.js'
import { measureBotPath } from './bot-path.js'
import { listingChart } from './chart.js'
import { startRedisCluster } from '../test/support/redis-cluster.js'
import { measureMemory } from './memory.js'
import { choosePlacement, pinThisProcess } from './pinning.js'
import { startRedis, startService, type Child, type RedisTarget } from './processes.js'
import { prototype, type Variant } from './prototype-listing.js'
import { formatReport, ratios, type ListingResult, type Results, type TargetResults } from './report.js'
import { listingRedisTime } from './listing-redis-time.js'
import { populate } from './populate.js'
import { measureBotPath as measureServiceBotPath, measureListingAt, type BotPathResults } from './service-cases.js'
import { loadSettings, PHASES } from './settings.js'
import { sideBySide, type Before } from './side-by-side.js'

const settings = loadSettings()
const RESULTS = fileURLToPath(new URL(settings.smoke ? '../tmp/bench-smoke/' : 'results/', import.meta.url))
const COMMITTED_RESULTS = fileURLToPath(new URL('results/', import.meta.url))
const placement = choosePlacement()
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

type Listed = Pick<Results, 'listing' | 'prototype' | 'memory' | 'listingRedisTime'>

/**
 * Listing and summary at each size, the prototype's algorithm, where the listing's Redis time goes
 * at the largest size, then Redis memory there.
 */
async function listingPhase (redis: Child, nowMs: number): Promise<Listed> {
  const listed: Listed = { listing: [], prototype: [], memory: null, listingRedisTime: [] }
  const proto = prototype(redis.url)
  // Not on the servers' CPU: a listing is timed one request at a time, not against the others.
  await withChild(() => startService(redis.url, 'bench:list:'), async ({ url }) => {
    let populated = 0
    let protoPopulated = 0
    for (const n of settings.listingSizes) {
      await phase(`populate ${n}`, () => populate(redis.url, 'bench:list:', populated, n, nowMs))
      populated = n
      listed.listing.push(...await phase(`listing ${n}`, () => measureListingAt(url, n, settings, log)))
      if (settings.prototypeSizes.includes(n)) {
        await phase(`prototype ${n}`, async () => {
          await proto.populate(protoPopulated, n, nowMs)
          protoPopulated = n
          for (const variant of ['sequential', 'pipelined'] as Variant[]) {
            const stats = await proto.time(variant, settings.durationSeconds, settings.slowSamples)
            listed.prototype.push({ n, variant, stats })
            log(`  prototype ${variant}: p50 ${stats.p50.toFixed(2)} ms (${stats.count} samples)`)
          }
        })
      }
    }
    listed.listingRedisTime = await phase('listing Redis time', () => listingRedisTime(url, [redis.port], REDIS_TIME_REQUESTS))
    listed.memory = await phase('memory', () => measureMemory(redis.url, 'bench:list:', populated, /lc\d{7}$/))
  }).finally(() => proto.close())
  return listed
}

/** The cluster's bot path and listing, and "before" (an earlier build, or the figures on file). */
async function clusterPhase (redis: Child, nowMs: number, listed: boolean): Promise<Pick<Results, 'cluster' | 'before'>> {
  const cluster = await phase('cluster start', () => startRedisCluster({ masters: settings.clusterMasters }))
  const onCluster = await measureTarget('cluster', { clusterNodes: cluster.nodes, buckets: settings.clusterBuckets }, nowMs,
    { prefix: 'bench:cluster:list:', populate: true, masterPorts: cluster.masters.map(({ port }) => port) }).finally(() => cluster.stop())
  if (settings.beforeBuild !== null && !listed) throw new Error('BENCH_BEFORE_BUILD lists the contacts of the listing phase: add listing to BENCH_PHASES')
  // The earlier build lists the contacts single node listed: same key names, same indexes.
  const before = settings.beforeBuild === null
    ? await beforeFromFile()
    : {
        source: `build of ${settings.beforeBuild}, listing the contacts the single-node cases listed`,
        ...await measureTarget('before', redis.url, nowMs, { prefix: 'bench:list:', populate: false, masterPorts: [redis.port] }, settings.beforeBuild)
      }
  return { cluster: { masters: settings.clusterMasters, buckets: settings.clusterBuckets, ...onCluster }, before }
}

async function main (): Promise<void> {
  // The load generator is this process: on the load CPUs, with Redis (and the cluster's masters,
  // which inherit this process's CPUs).
  if (placement !== null) pinThisProcess(placement.load)
  const redis = await startRedis(placement?.load)
  try {
    const nowMs = Date.now()
    const http = { connections: settings.connections, durationSeconds: settings.durationSeconds }
    const bot = settings.phases.includes('bot')
      ? await phase('bot path', () => measureBotPath(botCases(settings.botContacts, nowMs), {
        redis, http, rounds: settings.rounds, serverCpus: placement?.server, log
      }))
      : null
    const listingRun = settings.phases.includes('listing')
    const listed = listingRun ? await listingPhase(redis, nowMs) : null
    const compared = settings.phases.includes('cluster') ? await clusterPhase(redis, nowMs, listingRun) : null

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
      listingRedisTime: listed?.listingRedisTime ?? [],
      cluster: compared?.cluster ?? null,
      before: compared?.before ?? null,
      phases,
      loadAverage: { start: loadAtStart, end: loadavg()[0] ?? 0 },
      totalSeconds: (Date.now() - started) / 1000
    }
    const r = ratios(results)
    const comparison = sideBySide(results, r)
    process.stdout.write(`\n${formatReport(results, r)}\n${comparison === null ? '' : `\n${comparison.text}\n`}`)
    // A partial run (BENCH_PHASES) leaves the results of the last whole run as they are.
    if (settings.phases.length < PHASES.length) return
    await mkdir(RESULTS, { recursive: true })
    await writeFile(`${RESULTS}latest.json`, JSON.stringify({ ...results, ratios: r, sideBySide: comparison?.figures ?? null }, null, 2) + '\n')
    await writeFile(`${RESULTS}listing.svg`, listingChart(results))
    process.stdout.write(`\nwrote ${RESULTS}latest.json and listing.svg\n`)
  } finally {
    await redis.stop()
  }
}

/**
 * The bot's path (service-cases.ts: PUT, GET, turn; the service on the servers' CPUs), and the
 * listing at settings.clusterListingSize under `listing.prefix` (populated first, or already
 * there), on services of its own.
 */
async function measureTarget (
  name: string, redisTarget: RedisTarget, nowMs: number, listing: { prefix: string, populate: boolean, masterPorts: number[] }, checkout?: string
): Promise<TargetResults> {
  const n = settings.clusterListingSize
  const http = { connections: settings.connections, durationSeconds: settings.durationSeconds }
  const service = await phase(`${name} bot path`, () => withChild(() => startService(redisTarget, `bench:${name}:bot:`, {}, { checkout, cpus: placement?.server }),
    async ({ url }) => await measureServiceBotPath(url, settings.botContacts, nowMs, http)))
  // Started before populating, as on single node: the start-up index sweep finds nothing to do
  // (over 100,000 contacts on a loaded machine it can outlast Fastify's start-up timeout).
  return await withChild(() => startService(redisTarget, listing.prefix, {}, { checkout }), async ({ url }) => {
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
  // That run's shape: one service bot path, no rounds.
  const earlier = JSON.parse(await readFile(COMMITTED_RESULTS + file, 'utf8')) as {
    date: string, loadAverage: { start: number }, service: BotPathResults, listing: ListingResult[]
  }
  return {
    source: `bench/results/${file} (run of ${earlier.date}, load average ${earlier.loadAverage.start.toFixed(2)})`,
    service: earlier.service,
    listing: earlier.listing.filter((row) => row.n === settings.clusterListingSize),
    listingRedisTime: []
  }
}

process.once('SIGINT', () => process.exit(130))
await main()
