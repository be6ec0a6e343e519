/**
 * `npm run bench:million`: the dashboard's reads over 1,000,000 active contacts in one Redis.
 *
 * The contacts are loaded straight into Redis through the service's write path (the state
 * repository, so writeState and its indexes, exactly as a PUT stores them), many writes in flight
 * on one connection: minutes, where a million PUTs over HTTP take much longer. Then the built
 * service answers the listing (page 1, unfiltered and each single filter) and the summary, as
 * `npm run bench` measures them, at 100,000 and at the million in the same run (the growth is
 * judged on one machine load; latest.json's 100,000 figures are shown beside); Redis memory per
 * contact (INFO used_memory over the contacts, the empty server's own subtracted); and one index
 * sweep over the million. The figures go to bench/results/million.json.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { LISTING_CASES, measureListing, type ListingStats } from './listing.js'
import { listingContactId } from './populate.js'
import { startRedis, startService } from './processes.js'
import { pythonJson, stateDocument } from './state-doc.js'
import { createKeySpace } from '../src/redis/keys.js'
import { createWriteDeadline } from '../src/redis/write-deadline.js'
import { defineScripts } from '../src/redis/scripts.js'
import { sweepIndex } from '../src/redis/index-sweep.js'
import { createStateRepository } from '../src/plugins/state-repository.js'
import { parseDocument } from '../src/state/conversation-summary.js'
import { indexEntryOf, type IndexEntry } from '../src/state/index-entry.js'

const RESULTS = fileURLToPath(new URL('results/', import.meta.url))
const CONTACTS = Number(process.env.BENCH_MILLION_CONTACTS ?? 1_000_000)
const KEY_PREFIX = 'bench:list:'
// Writes in flight on the connection: enough to keep Redis busy, few enough to bound memory.
const IN_FLIGHT = 2000
// Generous: a write waits behind the others in flight, not behind a failure.
const LOAD_COMMAND_TIMEOUT_MS = 120_000
const TARGET_LISTING_P50_MS = 20
const TARGET_SUMMARY_P50_MS = 10
const TARGET_GROWTH = 1.5

const started = Date.now()
const loadAtStart = loadavg()[0]
const log = (message: string): void => { process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message} (load ${loadavg()[0]?.toFixed(2)})\n`) }
const entryOf = (json: string): IndexEntry => indexEntryOf(parseDocument(json))

async function usedMemory (redis: Redis): Promise<number> {
  return Number(/^used_memory:(\d+)/m.exec(await redis.info('memory'))?.[1])
}

/** Writes contacts from..to-1 through the state repository; returns writes per second. */
async function load (redis: Redis, from: number, to: number, nowMs: number): Promise<number> {
  defineScripts(redis)
  const repository = createStateRepository(redis, createKeySpace(KEY_PREFIX), createWriteDeadline(redis, LOAD_COMMAND_TIMEOUT_MS), {
    stateTtlSeconds: 30 * 24 * 3600,
    idempotencyTtlSeconds: 3600,
    requirePrecondition: false,
    replicaAck: { replicas: 0, timeoutMs: 0 }
  })
  const t0 = Date.now()
  let next = from
  const worker = async (): Promise<void> => {
    for (let i = next++; i < to; i = next++) {
      const contactId = listingContactId(i)
      const json = pythonJson(stateDocument(contactId, i, nowMs))
      const outcome = await repository.put(contactId, json, entryOf(json), { preconditions: { ifMatch: null, ifNoneMatchAny: false }, idempotency: null })
      if (outcome.kind !== 'created' && outcome.kind !== 'replaced') throw new Error(`${contactId}: ${outcome.kind}`)
      if (i % 100_000 === 99_999) log(`  ${i + 1} written`)
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker))
  return (to - from) / ((Date.now() - t0) / 1000)
}

interface Latest { listing: Array<{ n: number, case: string, stats: { p50: number } }> }

interface ListingRow { case: string, stats: ListingStats }

/**
 * Every listing case and the summary, through the built service, as `npm run bench` runs them.
 * The service's start-up sweep would run beside them (a minute over a million): the sweep's lock,
 * taken here first, keeps it out; the sweep is timed on its own.
 */
async function measureAll (redis: Redis, redisUrl: string, n: number): Promise<ListingRow[]> {
  await redis.set(createKeySpace(KEY_PREFIX).sweepLock, 'bench:million', 'PX', 600_000)
  const service = await startService(redisUrl, KEY_PREFIX)
  try {
    const rows: ListingRow[] = []
    for (const listingCase of LISTING_CASES) {
      const stats = await measureListing(service.url, listingCase, { listingConnections: 1, durationSeconds: 5, slowSamples: 3 })
      rows.push({ case: listingCase.name, stats })
      log(`  ${n}, ${listingCase.name}: p50 ${stats.p50.toFixed(2)} ms, p99 ${stats.p99.toFixed(2)} ms (matched ${stats.matched})${stats.error === undefined ? '' : ` ${stats.error}`}`)
    }
    return rows
  } finally {
    await service.stop()
    await redis.del(createKeySpace(KEY_PREFIX).sweepLock)
  }
}

async function main (): Promise<void> {
  const redisServer = await startRedis()
  const redis = new Redis(redisServer.url, { commandTimeout: LOAD_COMMAND_TIMEOUT_MS })
  try {
    const nowMs = Date.now()
    const emptyBytes = await usedMemory(redis)
    // 100,000 first, measured in this run too: the machine's load today is not that of latest.json's.
    const first = Math.min(100_000, CONTACTS)
    log(`loading ${first} contacts`)
    await load(redis, 0, first, nowMs)
    const atFirst = await measureAll(redis, redisServer.url, first)
    log(`loading ${CONTACTS - first} more`)
    const writesPerSecond = await load(redis, first, CONTACTS, nowMs)
    log(`loaded: ${writesPerSecond.toFixed(0)} writes/s`)
    const bytes = await usedMemory(redis) - emptyBytes
    const memory = { usedBytes: bytes, bytesPerContact: bytes / CONTACTS, contactsPerGiB: Math.floor(2 ** 30 / (bytes / CONTACTS)) }
    log(`memory: ${(bytes / 2 ** 20).toFixed(0)} MiB, ${memory.bytesPerContact.toFixed(0)} B per contact`)
    const atMillion = await measureAll(redis, redisServer.url, CONTACTS)

    const sweepStarted = Date.now()
    const sweep = await sweepIndex(redis, createKeySpace(KEY_PREFIX), entryOf)
    const sweepSeconds = (Date.now() - sweepStarted) / 1000
    log(`sweep: ${sweepSeconds.toFixed(1)} s ${JSON.stringify(sweep)}`)

    const latest = JSON.parse(await readFile(`${RESULTS}latest.json`, 'utf8')) as Latest
    const listing = atMillion.map(({ case: name, stats }) => {
      const here = atFirst.find((row) => row.case === name)?.stats.p50 ?? Number.NaN
      const inLatest = latest.listing.find((row) => row.n === 100_000 && row.case === name)?.stats.p50 ?? null
      return { case: name, p50: stats.p50, p99: stats.p99, matched: stats.matched, p50At100kThisRun: here, growth: stats.p50 / here, p50At100kInLatest: inLatest }
    })
    const misses = listing.flatMap(({ case: name, p50, growth }) => {
      const target = name === 'summary' ? TARGET_SUMMARY_P50_MS : TARGET_LISTING_P50_MS
      const missed: string[] = []
      if (!(p50 < target)) missed.push(`${name}: p50 ${p50.toFixed(2)} ms, target < ${target} ms`)
      if (name !== 'summary' && !(growth <= TARGET_GROWTH)) missed.push(`${name}: x${growth.toFixed(2)} of ${first}, target <= ${TARGET_GROWTH}`)
      return missed
    })
    const results = {
      date: new Date(started).toISOString(),
      contacts: CONTACTS,
      loadWritesPerSecond: writesPerSecond,
      memory,
      sweepSeconds,
      sweep,
      listing,
      misses,
      loadAverage: { start: loadAtStart, end: loadavg()[0] },
      totalSeconds: (Date.now() - started) / 1000
    }
    await writeFile(`${RESULTS}million.json`, JSON.stringify(results, null, 2) + '\n')
    process.stdout.write(`\n${listing.map((row) => `${row.case.padEnd(12)} p50 ${row.p50.toFixed(2).padStart(7)} ms at ${CONTACTS}, ${row.p50At100kThisRun.toFixed(2).padStart(7)} ms at ${first} (x${row.growth.toFixed(2)})`).join('\n')}\n` +
      `${misses.length === 0 ? 'every target met' : `targets missed:\n  ${misses.join('\n  ')}`}\nwrote bench/results/million.json\n`)
  } finally {
    redis.disconnect()
    await redisServer.stop()
  }
}

process.once('SIGINT', () => process.exit(130))
await main()
