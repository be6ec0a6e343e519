/**
 * The results of a run: their JSON shape, the ratios drawn from them, and the printed table.
 */
import type { ListingStats } from './listing.js'
import type { ListingRedisTime } from './listing-redis-time.js'
import type { MemoryReport } from './memory.js'
import type { Stats } from './measure.js'
import type { Variant } from './prototype-listing.js'
import type { BotPathResults } from './service-cases.js'
import type { Settings } from './settings.js'
import type { Before } from './side-by-side.js'

export interface ListingResult { n: number, case: string, stats: ListingStats }
export interface PrototypeResult { n: number, variant: Variant, stats: Stats }
/** What the run measures on the cluster and on an earlier build: the bot's path, the listing at one size. */
export interface TargetResults { service: BotPathResults, listing: ListingResult[], listingRedisTime: ListingRedisTime[] }

export interface Results {
  date: string
  node: string
  cpu: string
  cores: number
  settings: Settings
  ceiling: { get: Stats, put: Stats }
  service: BotPathResults
  listing: ListingResult[]
  prototype: PrototypeResult[]
  memory: MemoryReport | null
  /** Where the single node's listing time goes, at the largest N (listing-redis-time.ts). */
  listingRedisTime: ListingRedisTime[]
  /** The same service on a local Redis Cluster of `masters` masters, with `buckets` buckets. */
  cluster: TargetResults & { masters: number, buckets: number }
  /** Single node before the cluster work, to compare this run's single node with. */
  before: Before
  /** Seconds spent in each phase, population included. */
  phases: Record<string, number>
  /** The machine's 1-minute load average when the run started and ended (other work skews it). */
  loadAverage: { start: number, end: number }
  totalSeconds: number
}

export interface Ratios {
  serviceOverCeiling: { get: number, put: number }
  /** p50 at the largest N over p50 at the smallest, per listing case. */
  listingGrowth: Record<string, number>
  /** Prototype p50 over the service's unfiltered listing p50, per N and variant. */
  speedUpOverPrototype: Array<{ n: number, variant: Variant, prototypeP50: number, serviceP50: number, speedUp: number }>
}

export function ratios (results: Results): Ratios {
  const sizes = [...new Set(results.listing.map((row) => row.n))].sort((a, b) => a - b)
  const p50 = (n: number, name: string): number =>
    results.listing.find((row) => row.n === n && row.case === name)?.stats.p50 ?? Number.NaN
  const smallest = sizes[0] ?? 0
  const largest = sizes[sizes.length - 1] ?? 0
  const cases = [...new Set(results.listing.map((row) => row.case))]
  return {
    serviceOverCeiling: {
      get: results.service.get.requestsPerSecond / results.ceiling.get.requestsPerSecond,
      put: results.service.put.requestsPerSecond / results.ceiling.put.requestsPerSecond
    },
    listingGrowth: Object.fromEntries(cases.map((name) => [name, p50(largest, name) / p50(smallest, name)])),
    speedUpOverPrototype: results.prototype.map(({ n, variant, stats }) => ({
      n, variant, prototypeP50: stats.p50, serviceP50: p50(n, 'unfiltered'), speedUp: stats.p50 / p50(n, 'unfiltered')
    }))
  }
}

const ms = (value: number): string => Number.isNaN(value) ? '-' : value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)
const rate = (value: number): string => Number.isNaN(value) ? '-' : value >= 100 ? value.toFixed(0) : value.toFixed(1)
const times = (value: number): string => Number.isNaN(value) ? 'n/a' : value >= 10 ? `${value.toFixed(0)}x` : `${value.toFixed(2)}x`
const thousands = (n: number): string => n >= 1000 ? `${n / 1000}k` : String(n)

function table (header: string[], rows: string[][]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)))
  const left = (i: number): boolean => i === 0 || i === header.length - 1
  const line = (cells: string[]): string =>
    cells.map((cell, i) => left(i) ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)).join('  ').trimEnd()
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

function row (name: string, stats: Stats, note = ''): string[] {
  const byStatus = Object.entries(stats.failuresByStatus ?? {}).map(([status, n]) => `${status} x${n}`).join(' ')
  const failures = stats.failures > 0 ? `${stats.failures} failed (${byStatus})` : ''
  const requestsPerSecond = stats.count === 0 ? '-' : rate(stats.requestsPerSecond)
  return [name, requestsPerSecond, ms(stats.p50), ms(stats.p99), String(stats.count), [note, failures].filter(Boolean).join('; ')]
}

export function formatReport (results: Results, r: Ratios): string {
  const { connections, listingConnections } = results.settings
  const rows: string[][] = [
    row('ceiling GET (bare Fastify)', results.ceiling.get, `${connections} conn`),
    row('ceiling PUT (echo)', results.ceiling.put, `${connections} conn`),
    row('service PUT 10k contacts', results.service.put, `${connections} conn`),
    row('service GET 10k contacts', results.service.get, `${connections} conn`),
    row('service bot turn GET+PUT If-Match', results.service.turn, `turns/s, turn latency; ${rate(results.service.turnRequests.requestsPerSecond)} req/s`)
  ]
  for (const { n, case: name, stats } of results.listing) {
    const note = stats.mode === 'failed'
      ? `FAILED after ${ms(stats.probeMs)} ms: ${stats.error ?? ''}`
      : `${stats.mode === 'capped' ? `capped: ${stats.count + stats.failures} requests, 1 conn` : `${listingConnections} conn`}; matched ${stats.matched}`
    rows.push(row(`listing ${thousands(n)} ${name}`, stats.mode === 'failed' ? { ...stats, failures: 0 } : stats, note))
  }
  for (const { n, variant, stats } of results.prototype) {
    rows.push(row(`prototype ${thousands(n)} ${variant} (SMEMBERS+GET each)`, stats, 'in-process, 1 at a time'))
  }
  const out = [
    `seller-state benchmark, ${results.date}, ${results.cpu} (${results.cores} cores), Node ${results.node}`,
    `${results.settings.durationSeconds} s per case; latencies in ms; load average ${results.loadAverage.start.toFixed(2)} at start, ${results.loadAverage.end.toFixed(2)} at end`,
    '',
    table(['case', 'req/s', 'p50', 'p99', 'samples', 'notes'], rows),
    '',
    `service/ceiling: GET ${times(r.serviceOverCeiling.get)}, PUT ${times(r.serviceOverCeiling.put)} (requests/s)`,
    `listing p50 at 100k over 1k: ${Object.entries(r.listingGrowth).map(([name, value]) => `${name} ${times(value)}`).join(', ')}`,
    ...r.speedUpOverPrototype.map((s) =>
      `service unfiltered vs prototype ${s.variant} at ${thousands(s.n)}: p50 ${ms(s.serviceP50)} vs ${ms(s.prototypeP50)} ms, speed-up ${times(s.speedUp)}`)
  ]
  const m = results.memory
  if (m !== null) {
    out.push(
      `Redis memory: one state key ${m.stateKeyBytes} B (${m.stateKey}, ${m.stateKeyType}); ` +
      `${m.otherKeys} non-state keys ${m.otherKeysBytes} B = ${m.otherBytesPerContact.toFixed(1)} B per contact at ${m.stateKeys} states`)
  }
  out.push(`phases (s): ${Object.entries(results.phases).map(([name, s]) => `${name} ${s.toFixed(1)}`).join(', ')}`)
  out.push(`total run time: ${results.totalSeconds.toFixed(1)} s`)
  return out.join('\n')
}
