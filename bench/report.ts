/**
 * The results of a run: their JSON shape, the ratios drawn from them, and the printed table.
 */
import { TARGETS, type BotPathResult, type CaseResult, type GetPut, type Target } from './bot-path.js'
import type { ListingStats } from './listing.js'
import type { ListingRedisTime } from './listing-redis-time.js'
import type { MemoryReport } from './memory.js'
import type { Stats } from './measure.js'
import type { Placement } from './pinning.js'
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
  /** Where the servers, Redis and the load generator ran; null: anywhere (unpinned). */
  placement: Placement | null
  /** The single node's bot path: ceiling, floor and service in rounds (bot-path.ts). */
  bot: BotPathResult | null
  listing: ListingResult[]
  prototype: PrototypeResult[]
  memory: MemoryReport | null
  /** Where the single node's listing time goes, at the largest N (listing-redis-time.ts). */
  listingRedisTime: ListingRedisTime[]
  /** The same service on a local Redis Cluster of `masters` masters, with `buckets` buckets. */
  cluster: (TargetResults & { masters: number, buckets: number }) | null
  /** Single node before the cluster work, to compare this run's single node with. */
  before: Before | null
  /** Seconds spent in each phase, population included. */
  phases: Record<string, number>
  /** The machine's 1-minute load average when the run started and ended (other work skews it). */
  loadAverage: { start: number, end: number }
  totalSeconds: number
}

/** The service over another server: requests/s, and p99 latency (lower is better). */
export interface Comparison { get: number, put: number, getP99: number, putP99: number }

export interface Ratios {
  /** Per server, the median over the rounds of each figure of its GET and PUT. */
  medians: Record<Target, GetPut> | null
  /** Ratios of those medians. */
  serviceOverFloor: Comparison | null
  serviceOverCeiling: Comparison | null
  /** The same ratios within each round, to show their spread. */
  byRound: Array<{ serviceOverFloor: Comparison, serviceOverCeiling: Comparison }>
  /** p50 at the largest N over p50 at the smallest, per listing case. */
  listingGrowth: Record<string, number>
  /** Prototype p50 over the service's unfiltered listing p50, per N and variant. */
  speedUpOverPrototype: Array<{ n: number, variant: Variant, prototypeP50: number, serviceP50: number, speedUp: number }>
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] as number : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

/** The median of each figure over several runs of a case; counts and failures summed. */
export function medianStats (runs: Stats[]): Stats {
  const of = (pick: (stats: Stats) => number): number => median(runs.map(pick))
  const sum = (pick: (stats: Stats) => number): number => runs.reduce((total, stats) => total + pick(stats), 0)
  const failures = sum((stats) => stats.failures)
  const byStatus: Record<string, number> = {}
  for (const stats of runs) {
    for (const [status, n] of Object.entries(stats.failuresByStatus ?? {})) byStatus[status] = (byStatus[status] ?? 0) + n
  }
  return {
    count: sum((stats) => stats.count),
    requestsPerSecond: of((stats) => stats.requestsPerSecond),
    p50: of((stats) => stats.p50),
    p99: of((stats) => stats.p99),
    mean: of((stats) => stats.mean),
    failures,
    ...(failures > 0 ? { failuresByStatus: byStatus } : {}),
    seconds: sum((stats) => stats.seconds),
    loadAverage: of((stats) => stats.loadAverage ?? Number.NaN)
  }
}

/** medianStats, and the median CPU per request of the runs that could tell it. */
function medianCase (runs: CaseResult[]): CaseResult {
  const cpu = (pick: (run: CaseResult) => number | null): number | null => {
    const known = runs.map(pick).filter((value): value is number => value !== null)
    return known.length === 0 ? null : median(known)
  }
  return {
    ...medianStats(runs),
    cpu: { serverUs: cpu((run) => run.cpu.serverUs), redisUs: cpu((run) => run.cpu.redisUs), loadGeneratorUs: cpu((run) => run.cpu.loadGeneratorUs) }
  }
}

function compare (service: GetPut, other: GetPut): Comparison {
  return {
    get: service.get.requestsPerSecond / other.get.requestsPerSecond,
    put: service.put.requestsPerSecond / other.put.requestsPerSecond,
    getP99: service.get.p99 / other.get.p99,
    putP99: service.put.p99 / other.put.p99
  }
}

export function ratios (results: Results): Ratios {
  const rounds = results.bot?.rounds ?? []
  const medians = rounds.length === 0
    ? null
    : Object.fromEntries(TARGETS.map((target) => [target, {
      get: medianCase(rounds.map((round) => round[target].get)),
      put: medianCase(rounds.map((round) => round[target].put))
    }])) as Record<Target, GetPut>

  const sizes = [...new Set(results.listing.map((row) => row.n))].sort((a, b) => a - b)
  const p50 = (n: number, name: string): number =>
    results.listing.find((row) => row.n === n && row.case === name)?.stats.p50 ?? Number.NaN
  const smallest = sizes[0] ?? 0
  const largest = sizes[sizes.length - 1] ?? 0
  const cases = [...new Set(results.listing.map((row) => row.case))]
  return {
    medians,
    serviceOverFloor: medians === null ? null : compare(medians.service, medians.floor),
    serviceOverCeiling: medians === null ? null : compare(medians.service, medians.ceiling),
    byRound: rounds.map((round) => ({ serviceOverFloor: compare(round.service, round.floor), serviceOverCeiling: compare(round.service, round.ceiling) })),
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

const BOT_ROWS: Array<[string, Target, 'get' | 'put']> = [
  ['ceiling GET (bare Fastify, from memory)', 'ceiling', 'get'],
  ['floor GET (Fastify + one HGET)', 'floor', 'get'],
  ['service GET 10k contacts', 'service', 'get'],
  ['ceiling PUT (echo)', 'ceiling', 'put'],
  ['floor PUT (Fastify + one MULTI)', 'floor', 'put'],
  ['service PUT 10k contacts', 'service', 'put']
]

/** The issue's targets: the service's throughput over the floor's, its p99 over the floor's. */
export const TARGETS_OVER_FLOOR = { get: 0.9, put: 0.8, p99: 2 }

const verdict = (met: boolean): string => met ? 'met' : 'NOT met'

function botLines (results: Results, r: Ratios): { rows: string[][], lines: string[] } {
  const { medians, serviceOverFloor: floor, serviceOverCeiling: ceiling } = r
  if (results.bot === null || medians === null || floor === null || ceiling === null) return { rows: [], lines: [] }
  const rounds = results.bot.rounds.length
  const us = (value: number | null): string => value === null ? '-' : value.toFixed(0)
  const rows = BOT_ROWS.map(([name, target, method]) => {
    const { cpu } = medians[target][method]
    return row(name, medians[target][method], `${results.settings.connections} conn; median of ${rounds}; CPU us/request: server ${us(cpu.serverUs)}, Redis ${us(cpu.redisUs)}, load generator ${us(cpu.loadGeneratorUs)}`)
  })
  rows.push(row('service bot turn GET+PUT If-Match', results.bot.turn, `turns/s, turn latency; ${rate(results.bot.turnRequests.requestsPerSecond)} req/s`))
  const spread = (pick: (round: Ratios['byRound'][number]) => number): string => r.byRound.map((round) => times(pick(round))).join(' ')
  const t = TARGETS_OVER_FLOOR
  return {
    rows,
    lines: [
      `service/floor, medians of ${rounds} rounds: GET ${times(floor.get)} (target ${t.get}: ${verdict(floor.get >= t.get)}), ` +
        `PUT ${times(floor.put)} (target ${t.put}: ${verdict(floor.put >= t.put)}); ` +
        `p99 GET ${times(floor.getP99)}, PUT ${times(floor.putP99)} (target <= ${t.p99}x: ${verdict(floor.getP99 <= t.p99 && floor.putP99 <= t.p99)})`,
      `service/ceiling: GET ${times(ceiling.get)}, PUT ${times(ceiling.put)}; p99 GET ${times(ceiling.getP99)}, PUT ${times(ceiling.putP99)}`,
      `  by round: service/floor GET ${spread((x) => x.serviceOverFloor.get)}, PUT ${spread((x) => x.serviceOverFloor.put)}; ` +
        `service/ceiling GET ${spread((x) => x.serviceOverCeiling.get)}, PUT ${spread((x) => x.serviceOverCeiling.put)}`
    ]
  }
}

export function formatReport (results: Results, r: Ratios): string {
  const { listingConnections } = results.settings
  const bot = botLines(results, r)
  const rows: string[][] = [...bot.rows]
  for (const { n, case: name, stats } of results.listing) {
    const note = stats.mode === 'failed'
      ? `FAILED after ${ms(stats.probeMs)} ms: ${stats.error ?? ''}`
      : `${stats.mode === 'capped' ? `capped: ${stats.count + stats.failures} requests, 1 conn` : `${listingConnections} conn`}; matched ${stats.matched}`
    rows.push(row(`listing ${thousands(n)} ${name}`, stats.mode === 'failed' ? { ...stats, failures: 0 } : stats, note))
  }
  for (const { n, variant, stats } of results.prototype) {
    rows.push(row(`prototype ${thousands(n)} ${variant} (SMEMBERS+GET each)`, stats, 'in-process, 1 at a time'))
  }
  const placement = results.placement === null
    ? 'unpinned (servers, Redis and load generator share every core)'
    : `pinned: servers on CPU ${results.placement.server}, Redis and the load generator on CPU ${results.placement.load}`
  const out = [
    `seller-state benchmark, ${results.date}, ${results.cpu} (${results.cores} cores), Node ${results.node}`,
    `${results.settings.durationSeconds} s per case; latencies in ms; ${placement}; load average ${results.loadAverage.start.toFixed(2)} at start, ${results.loadAverage.end.toFixed(2)} at end`,
    '',
    table(['case', 'req/s', 'p50', 'p99', 'samples', 'notes'], rows),
    '',
    ...bot.lines,
    ...(results.listing.length === 0 ? [] : [`listing p50 at 100k over 1k: ${Object.entries(r.listingGrowth).map(([name, value]) => `${name} ${times(value)}`).join(', ')}`]),
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
