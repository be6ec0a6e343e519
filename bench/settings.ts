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

export interface Settings {
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
}

export function loadSettings (): Settings {
  return {
    durationSeconds: positive('BENCH_DURATION_SECONDS', 5),
    connections: Math.round(positive('BENCH_CONNECTIONS', 50)),
    listingConnections: Math.round(positive('BENCH_LISTING_CONNECTIONS', 1)),
    slowSamples: Math.round(positive('BENCH_SLOW_SAMPLES', 3)),
    botContacts: 10_000,
    listingSizes: [1_000, 10_000, 100_000],
    prototypeSizes: [1_000, 10_000],
    clusterMasters: 3,
    clusterBuckets: Math.round(positive('BENCH_CLUSTER_BUCKETS', 12)),
    clusterListingSize: 100_000,
    beforeBuild: process.env.BENCH_BEFORE_BUILD === undefined || process.env.BENCH_BEFORE_BUILD === '' ? null : process.env.BENCH_BEFORE_BUILD
  }
}
