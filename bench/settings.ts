/**
 * The benchmark's knobs, from the environment.
 */
/** A positive number from the environment, or the fallback; anything else stops the run. */
export function positive (name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number (got ${JSON.stringify(raw)})`)
  return value
}

/**
 * The parts of a run: the bot's path (ceiling, floor, service), the listing (with memory), and the
 * cluster (the bot's path and the listing on a local Redis Cluster, and "before").
 */
export const PHASES = ['bot', 'listing', 'cluster'] as const
export type Phase = typeof PHASES[number]

/** BENCH_PHASES: a comma-separated subset of PHASES, all of them by default. */
function phases (): Phase[] {
  const raw = process.env.BENCH_PHASES ?? ''
  if (raw === '') return [...PHASES]
  const named = raw.split(',').map((name) => name.trim())
  const unknown = named.filter((name) => !(PHASES as readonly string[]).includes(name))
  if (unknown.length > 0) throw new Error(`BENCH_PHASES names ${unknown.join(', ')}; use ${PHASES.join(', ')}`)
  return named as Phase[]
}

export interface Settings {
  phases: Phase[]
  /** Rounds of the bot's path: each server's GET and PUT once per round, the servers taking turns. */
  rounds: number
  /** Length of each timed case, in seconds. */
  durationSeconds: number
  /** Concurrent connections of the HTTP throughput cases (ceiling, PUT, GET, bot turn). */
  connections: number
  /** Concurrent connections of the listing cases: 1 measures the time of one listing. */
  listingConnections: number
  /** Requests made in a listing case whose single listing is too slow for the duration. */
  slowSamples: number
  /** Contacts of the bot's cases. */
  botContacts: number
  /** Active contacts at which the listing is measured. */
  listingSizes: number[]
  /** Sizes at which the prototype's algorithm is measured. */
  prototypeSizes: number[]
  /** Masters of the local Redis Cluster, and the service's REDIS_CLUSTER_BUCKETS on it. */
  clusterMasters: number
  clusterBuckets: number
  /** Active contacts at which the listing is measured on the cluster (and on an earlier build). */
  clusterListingSize: number
  /**
   * A checkout of an earlier commit, built (its dist/src/server.js), measured on single node in
   * the same run as "before"; null: "before" is bench/results/before-cluster.json.
   */
  beforeBuild: string | null
  /**
   * BENCH_SMOKE=1: a short run that proves the benchmark works end to end (1,000 contacts at
   * most, every size), its results written to tmp/bench-smoke/ instead of bench/results/.
   */
  smoke: boolean
}

export function loadSettings (): Settings {
  const smoke = process.env.BENCH_SMOKE === '1'
  return {
    phases: phases(),
    rounds: Math.round(positive('BENCH_ROUNDS', 3)),
    durationSeconds: positive('BENCH_DURATION_SECONDS', 5),
    connections: Math.round(positive('BENCH_CONNECTIONS', 50)),
    listingConnections: Math.round(positive('BENCH_LISTING_CONNECTIONS', 1)),
    slowSamples: Math.round(positive('BENCH_SLOW_SAMPLES', 3)),
    botContacts: smoke ? 1_000 : 10_000,
    listingSizes: smoke ? [100, 1_000] : [1_000, 10_000, 100_000],
    prototypeSizes: smoke ? [100, 1_000] : [1_000, 10_000],
    clusterMasters: 3,
    clusterBuckets: Math.round(positive('BENCH_CLUSTER_BUCKETS', 6)),
    clusterListingSize: smoke ? 1_000 : 100_000,
    beforeBuild: process.env.BENCH_BEFORE_BUILD === undefined || process.env.BENCH_BEFORE_BUILD === '' ? null : process.env.BENCH_BEFORE_BUILD,
    smoke
  }
}
