/**
 * Single node and cluster side by side (single node's bot path: the service's medians over the
 * rounds of bot-path.ts, pinned like the cluster's service), with "before" (single node before the cluster work), the
 * ratios and the targets of issue 12: the cluster's bot path at least 0.8x single node's
 * requests/s; the cluster's listing p50 at 100k under 20 ms for the unfiltered page and every
 * single filter; single node no worse than before.
 */
import type { Stats } from './measure.js'
import type { ListingRedisTime } from './listing-redis-time.js'
import type { ListingResult, Ratios, Results, TargetResults } from './report.js'

export interface Before extends TargetResults { source: string }

const CLUSTER_THROUGHPUT_TARGET = 0.8
const CLUSTER_LISTING_P50_TARGET_MS = 20
// Repeated runs of one build on this 2-core machine differ by up to about this much.
const NOISE = 0.1

interface Figure { requestsPerSecond: number, p50: number, p99: number, loadAverage: number | null }

export interface ComparisonRow {
  case: string
  /** throughput: the ratios are of requests/s; latency: of p50. */
  kind: 'throughput' | 'latency'
  single: Figure
  cluster: Figure
  before: Figure | null
  clusterOverSingle: number
  singleOverBefore: number
  /** The cluster's target and whether it was met; null where the issue sets none (summary). */
  clusterTarget: { text: string, met: boolean } | null
  /** Single node no worse than before (within the noise); null without a before figure. */
  noWorseThanBefore: boolean | null
}

const figure = (stats: Stats | undefined): Figure | null => stats === undefined
  ? null
  : { requestsPerSecond: stats.requestsPerSecond, p50: stats.p50, p99: stats.p99, loadAverage: stats.loadAverage ?? null }

const MISSING: Figure = { requestsPerSecond: Number.NaN, p50: Number.NaN, p99: Number.NaN, loadAverage: null }

function compare (name: string, kind: ComparisonRow['kind'], single: Stats, cluster: Stats | undefined, before: Stats | undefined): ComparisonRow {
  const s = figure(single) ?? MISSING
  const c = figure(cluster) ?? MISSING
  const b = figure(before)
  const throughput = kind === 'throughput'
  const clusterOverSingle = throughput ? c.requestsPerSecond / s.requestsPerSecond : c.p50 / s.p50
  const singleOverBefore = b === null ? Number.NaN : throughput ? s.requestsPerSecond / b.requestsPerSecond : s.p50 / b.p50
  const clusterTarget = throughput
    ? { text: `>= ${CLUSTER_THROUGHPUT_TARGET}x req/s`, met: clusterOverSingle >= CLUSTER_THROUGHPUT_TARGET }
    : name.endsWith('summary') ? null : { text: `p50 < ${CLUSTER_LISTING_P50_TARGET_MS} ms`, met: c.p50 < CLUSTER_LISTING_P50_TARGET_MS }
  const noWorseThanBefore = b === null ? null : throughput ? singleOverBefore >= 1 - NOISE : singleOverBefore <= 1 + NOISE
  return { case: name, kind, single: s, cluster: c, before: b, clusterOverSingle, singleOverBefore, clusterTarget, noWorseThanBefore }
}

/** What the side-by-side compares: this run's single node, its cluster, and before. */
interface Compared {
  single: { put: Stats, get: Stats, turnRequests: Stats }
  cluster: TargetResults & { masters: number, buckets: number }
  before: Before
}

function compared (results: Results, r: Ratios): Compared | null {
  const { bot, cluster, before } = results
  if (bot === null || r.medians === null || cluster === null || before === null) return null
  return { single: { put: r.medians.service.put, get: r.medians.service.get, turnRequests: bot.turnRequests }, cluster, before }
}

function comparisonRows (results: Results, { single: service, cluster, before }: Compared): ComparisonRow[] {
  const size = results.settings.clusterListingSize
  const listingAt = (rows: ListingResult[], name: string): Stats | undefined =>
    rows.find((row) => row.n === size && row.case === name && row.stats.mode !== 'failed')?.stats
  const rows = [
    compare('bot PUT', 'throughput', service.put, cluster.service.put, before.service.put),
    compare('bot GET', 'throughput', service.get, cluster.service.get, before.service.get),
    compare('bot turn GET+PUT If-Match', 'throughput', service.turnRequests, cluster.service.turnRequests, before.service.turnRequests)
  ]
  for (const { case: name, stats } of results.listing.filter((row) => row.n === size)) {
    rows.push(compare(`listing ${size / 1000}k ${name}`, 'latency', stats, listingAt(cluster.listing, name), listingAt(before.listing, name)))
  }
  return rows
}

const num = (value: number, digits: number): string => Number.isNaN(value) ? '-' : value.toFixed(digits)
const rate = (value: number): string => num(value, 0)
const ms = (value: number): string => value >= 10 ? num(value, 1) : num(value, 2)
const load = (f: Figure | null): string => f?.loadAverage == null ? '-' : f.loadAverage.toFixed(1)
const verdict = (met: boolean | null): string => met === null ? '' : met ? 'met' : 'MISSED'

/** The Redis time of the listing cases, single node, cluster and before side by side. */
function redisTimeTable (results: Results, { cluster, before }: Compared): string[] {
  const sources: Array<[string, ListingRedisTime[]]> = [
    ['single', results.listingRedisTime], ['cluster', cluster.listingRedisTime], ['before', before.listingRedisTime]
  ]
  const present = sources.filter(([, rows]) => rows.length > 0)
  if (present.length === 0) return []
  const header = ['case', ...present.flatMap(([name]) => [`${name} HTTP p50`, 'Redis', 'busiest', 'commands', 'scripts', 'µs each'])]
  const cells = (results.listingRedisTime[0] === undefined ? cluster.listingRedisTime : results.listingRedisTime).map(({ case: name }) => [
    name,
    ...present.flatMap(([, rows]) => {
      const row = rows.find((r) => r.case === name)
      return row === undefined
        ? ['-', '-', '-', '-', '-', '-']
        : [ms(row.httpP50), ms(row.redisMs), ms(row.busiestMasterMs), num(row.commandsPerRequest, 0), num(row.scriptsPerRequest, 0), num(row.microsPerScript, 0)]
    })
  ])
  const requests = present[0]?.[1][0]?.requests ?? 0
  return [
    '',
    `Where the listing's time goes at ${results.settings.clusterListingSize / 1000}k: ${requests} requests per case, one at a time, SLOWLOG at 0 µs on ` +
      'every master. Redis: ms of Redis time per request, summed over the masters; busiest: on the busiest master; commands: ' +
      'sent by the service per request; scripts: list-page or count-slots runs per request (one per bucket; an earlier build\'s ' +
      'scripts are not recognized); µs each: their mean time',
    '',
    ...aligned(header, cells)
  ]
}

function aligned (header: string[], cells: string[][]): string[] {
  const widths = header.map((title, i) => Math.max(title.length, ...cells.map((row) => (row[i] ?? '').length)))
  const line = (r: string[]): string => r.map((cell, i) => i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)).join('  ')
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)]
}

/** The side-by-side table, or null when the run left out the bot path, the listing or the cluster. */
export function sideBySide (results: Results, r: Ratios): { text: string, figures: ComparisonRow[] } | null {
  const both = compared(results, r)
  if (both === null) return null
  const rows = comparisonRows(results, both)
  const header = ['case', 'single req/s', 'p50', 'cluster req/s', 'p50', 'cluster/single', 'target', '', 'before req/s', 'p50', 'single/before', '', 'load s/c/b']
  const cells = rows.map((row) => [
    row.case,
    rate(row.single.requestsPerSecond), ms(row.single.p50),
    rate(row.cluster.requestsPerSecond), ms(row.cluster.p50),
    `${num(row.clusterOverSingle, 2)}x ${row.kind === 'throughput' ? 'req/s' : 'p50'}`,
    row.clusterTarget?.text ?? '', verdict(row.clusterTarget?.met ?? null),
    rate(row.before?.requestsPerSecond ?? Number.NaN), ms(row.before?.p50 ?? Number.NaN),
    `${num(row.singleOverBefore, 2)}x`, row.noWorseThanBefore === null ? '' : row.noWorseThanBefore ? 'no worse' : 'WORSE',
    `${load(row.single)}/${load(row.cluster)}/${load(row.before)}`
  ])
  const { cluster, before } = both
  const missed = rows.filter((row) => row.clusterTarget?.met === false).map((row) => row.case)
  const worse = rows.filter((row) => row.noWorseThanBefore === false).map((row) => row.case)
  return {
    figures: rows,
    text: [
      `Single node and cluster (${cluster.masters} masters on this machine, ${cluster.buckets} buckets), side by side; ` +
        'bot rows: requests/s; listing rows: one request at a time, latencies in ms',
      `single node's bot rows: medians of the rounds of the bot path above; before: ${before.source}; "no worse" allows ${NOISE * 100}% of noise; load: 1-minute load average at the start of each case`,
      '',
      ...aligned(header, cells),
      '',
      `cluster targets: ${missed.length === 0 ? 'all met' : `missed by ${missed.join(', ')}`}; ` +
        `single node vs before: ${worse.length === 0 ? 'no worse' : `worse in ${worse.join(', ')}`}`,
      ...redisTimeTable(results, both)
    ].join('\n')
  }
}
