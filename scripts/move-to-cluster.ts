/**
 * `npm run move-to-cluster -- --from <redis-url> --to <host:port,...> [--prefix seller:]
 * [--buckets 6] [--batch 500]`: copies a single Redis's seller state into a Redis Cluster
 * (src/redis/cluster-move.ts says how); the cluster's credentials and TLS come from REDIS_USERNAME,
 * REDIS_PASSWORD, REDIS_TLS and REDIS_TLS_CA_FILE, as the service reads them. Run it again to resume after a crash or to check: a second
 * run copies nothing. Exit codes: 0 done (conflicts are reported, not failures), 1 failure,
 * 2 bad arguments.
 */
import { readFileSync } from 'node:fs'
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis'
import { createKeySpace } from '../src/redis/keys.js'
import { moveToCluster, countKeys, type Conflict } from '../src/redis/cluster-move.js'
import { entryOf } from '../src/plugins/index-maintenance.js'
import { ArgumentError, parseMoveArguments, USAGE, type MoveArguments } from './move-arguments.js'

// Conflicts named one per line, up to this many.
const NAMED_CONFLICTS = 100
const PROGRESS_EVERY_MS = 200
// Give up after this many failed attempts to reach a server.
const CONNECT_ATTEMPTS = 3
const retry = (attempt: number): number | null => attempt > CONNECT_ATTEMPTS ? null : 200 * attempt

const iso = (ms: number | null): string => ms === null ? 'unknown' : new Date(ms).toISOString()

function describeConflict ({ contactId, clusterWrittenAtMs, sourceWrittenAtMs }: Conflict): string {
  const newer = clusterWrittenAtMs === null || sourceWrittenAtMs === null ? '' : clusterWrittenAtMs >= sourceWrittenAtMs ? ', the cluster\'s is newer' : ', the source\'s is newer'
  return `conflict: ${contactId}: the cluster holds another version (written ${iso(clusterWrittenAtMs)}; the source's ${iso(sourceWrittenAtMs)}${newer}); left as it is`
}

/** A single line that rewrites itself on a terminal; nothing elsewhere (logs stay clean). */
function progressLine (total: number, startedMs: number): { update: (handled: number) => void, end: () => void } {
  const tty = process.stderr.isTTY
  let shownMs = 0
  return {
    update (handled) {
      const now = Date.now()
      if (!tty || (now - shownMs < PROGRESS_EVERY_MS && handled < total)) return
      shownMs = now
      const rate = Math.round(handled / Math.max((now - startedMs) / 1000, 0.001))
      process.stderr.write(`\r${handled}/${total} keys copied or checked, ${rate}/s\x1b[K`)
    },
    end () {
      if (tty) process.stderr.write('\r\x1b[K')
    }
  }
}

/**
 * The cluster's credentials and TLS, from the variables the service reads (README, Configuration),
 * so that the move and the service reach a managed cluster the same way.
 */
function targetOptions (env: NodeJS.ProcessEnv): ClusterOptions {
  const tls = env.REDIS_TLS === 'true' || (env.REDIS_TLS_CA_FILE ?? '') !== ''
  const redisOptions: RedisOptions = {
    ...(env.REDIS_USERNAME ? { username: env.REDIS_USERNAME } : {}),
    ...(env.REDIS_PASSWORD ? { password: env.REDIS_PASSWORD } : {}),
    ...(tls ? { tls: env.REDIS_TLS_CA_FILE ? { ca: readFileSync(env.REDIS_TLS_CA_FILE, 'utf8') } : {} } : {})
  }
  return { clusterRetryStrategy: retry, lazyConnect: true, redisOptions, ...(tls ? { dnsLookup: (address, callback) => callback(null, address) } : {}) }
}

async function run (args: MoveArguments): Promise<void> {
  const source = new Redis(args.from, { maxRetriesPerRequest: 2, retryStrategy: retry, lazyConnect: true })
  const target = new Cluster(args.to, targetOptions(process.env))
  // Failures reach us as the rejections of the commands; the events would only repeat them.
  source.on('error', () => {})
  target.on('error', () => {})
  try {
    await source.connect().catch((err: Error) => { throw new Error(`cannot reach --from: ${err.message}`) })
    await target.connect().catch((err: Error) => { throw new Error(`cannot reach a cluster at --to: ${err.message}`) })
    const startedMs = Date.now()
    const from = createKeySpace(args.prefix)
    const total = await countKeys(source, from, args.batch)
    const progress = progressLine(total, startedMs)
    const counts = await moveToCluster({ source, target, from, to: createKeySpace(args.prefix, args.buckets), entryOf, batch: args.batch, onProgress: progress.update })
    progress.end()
    for (const conflict of counts.conflicts.slice(0, NAMED_CONFLICTS)) console.error(describeConflict(conflict))
    if (counts.conflicts.length > NAMED_CONFLICTS) console.error(`... and ${counts.conflicts.length - NAMED_CONFLICTS} more conflicts`)
    if (counts.prototypeStates > 0) {
      console.error(`skipped ${counts.prototypeStates} states that are still the Python prototype's pickles: run python -m seller_state.migrate_prototype on the source first, then move again`)
    }
    if (counts.unindexed > 0) console.error(`${counts.unindexed} states copied are not documents the service can read: copied as they are, not indexed`)
    const seconds = ((Date.now() - startedMs) / 1000).toFixed(1)
    console.log(`moved ${counts.states} states and ${counts.records} idempotency records; skipped ${counts.skipped} already there; conflicts ${counts.conflicts.length}; ${seconds} s`)
  } finally {
    source.disconnect()
    target.disconnect()
  }
}

let args: MoveArguments
try {
  args = parseMoveArguments(process.argv.slice(2))
} catch (err) {
  if (!(err instanceof ArgumentError)) throw err
  console.error(`move-to-cluster: ${err.message}\n${USAGE}`)
  process.exit(2)
}
run(args).catch((err: unknown) => {
  console.error(`move-to-cluster failed: ${err instanceof Error ? err.message : String(err)}`)
  process.exitCode = 1
})
