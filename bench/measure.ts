/**
 * One timed case with autocannon's programmatic API. Latencies are recorded from autocannon's
 * `response` events (sub-millisecond floats; autocannon's own histogram rounds to whole ms), for
 * 2xx answers only; anything else is counted and reported.
 */
import { loadavg } from 'node:os'
import autocannon, { type Options } from 'autocannon'

export interface Stats {
  /** 2xx answers measured. */
  count: number
  requestsPerSecond: number
  p50: number
  p99: number
  mean: number
  /** Answers that were not 2xx, connection errors and timeouts. */
  failures: number
  /** The failures by status code ('error' for connection errors and timeouts). */
  failuresByStatus?: Record<string, number>
  seconds: number
  /** The machine's 1-minute load average when the case started: other work on the cores skews it. */
  loadAverage?: number
}

export function percentile (sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.ceil(fraction * sorted.length) - 1
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] as number
}

/** Statistics of latencies (ms) measured over `seconds`. */
export function summarize (latencies: readonly number[], seconds: number, failures = 0): Stats {
  const sorted = [...latencies].sort((a, b) => a - b)
  const total = sorted.reduce((sum, value) => sum + value, 0)
  return {
    count: sorted.length,
    requestsPerSecond: sorted.length / seconds,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    mean: sorted.length === 0 ? Number.NaN : total / sorted.length,
    failures,
    seconds
  }
}

export interface MeasureHooks {
  /** Called when the measured run starts (after any warm-up). */
  onStart?: () => void
}

export async function measure (options: Options, hooks: MeasureHooks = {}): Promise<Stats> {
  const latencies: number[] = []
  const loadAverage = loadavg()[0] ?? Number.NaN
  let byStatus: Record<string, number> = {}
  const instance = autocannon({ timeout: 30, ...options })
  instance.on('start', () => {
    latencies.length = 0
    byStatus = {}
    hooks.onStart?.()
  })
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime)
    else byStatus[statusCode] = (byStatus[statusCode] ?? 0) + 1
  })
  const result = await instance
  if (result.errors > 0) byStatus.error = result.errors
  const failures = Object.values(byStatus).reduce((sum, n) => sum + n, 0)
  return { ...summarize(latencies, result.duration, failures), ...(failures > 0 ? { failuresByStatus: byStatus } : {}), loadAverage }
}
