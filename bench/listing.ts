/**
 * The dashboard's requests: page 1 of 50 of GET /seller/active, unfiltered and with each single
 * filter, and GET /seller/active/summary.
 *
 * A probe request comes first (it warms up, checks the answer and says how many conversations
 * matched). A case whose single request takes more than a quarter of the duration is "capped":
 * it makes a fixed number of requests on one connection instead of running for the duration,
 * so that slow listings (today's, which read every document) still finish in time. A case whose
 * probe is not a 200 (a 503 when the listing outlasts the service's Redis command timeout) is
 * reported as failed, with the status and message, and not measured further.
 */
import { performance } from 'node:perf_hooks'
import { measure, summarize, type Stats } from './measure.js'
import { LOCATIONS } from './state-doc.js'

export interface ListingCase { name: string, path: string }

const PAGE = '/seller/active?page=1&page_size=50'

export const LISTING_CASES: ListingCase[] = [
  { name: 'unfiltered', path: PAGE },
  { name: 'location_id', path: `${PAGE}&location_id=${LOCATIONS[6] as string}` },
  { name: 'stage', path: `${PAGE}&stage=Q2` },
  { name: 'temperature', path: `${PAGE}&temperature=WARM` },
  { name: 'stalled', path: `${PAGE}&stalled=true` },
  { name: 'summary', path: '/seller/active/summary' }
]

export interface ListingStats extends Stats {
  mode: 'duration' | 'capped' | 'failed'
  /** total_count of the listing (total of the summary): how many conversations matched. */
  matched: number
  probeMs: number
  /** Why a failed case failed: the probe's status and message. */
  error?: string
}

export interface ListingSettings { listingConnections: number, durationSeconds: number, slowSamples: number }

async function probe (url: string): Promise<{ ms: number, matched: number, error?: string }> {
  const started = performance.now()
  const response = await fetch(url)
  const text = await response.text()
  const ms = performance.now() - started
  const body = JSON.parse(text) as { total_count?: number, total?: number, code?: string, message?: string }
  if (response.status !== 200) return { ms, matched: Number.NaN, error: `${response.status} ${body.code ?? ''}: ${body.message ?? text.slice(0, 200)}` }
  return { ms, matched: body.total_count ?? body.total ?? Number.NaN }
}

export async function measureListing (baseUrl: string, listingCase: ListingCase, settings: ListingSettings): Promise<ListingStats> {
  const url = baseUrl + listingCase.path
  const first = await probe(url)
  if (first.error !== undefined) {
    const failed = summarize([], first.ms / 1000, 1)
    return { ...failed, mode: 'failed', matched: Number.NaN, probeMs: first.ms, error: first.error }
  }
  const capped = first.ms * 4 > settings.durationSeconds * 1000
  if (capped) {
    const stats = await measure({ url, connections: 1, amount: settings.slowSamples, timeout: 120 })
    // amount-mode runs end on autocannon's 1 s tick: the rate is the one of back-to-back requests.
    return { ...stats, requestsPerSecond: 1000 / stats.mean, mode: 'capped', matched: first.matched, probeMs: first.ms }
  }
  const stats = await measure({ url, connections: settings.listingConnections, duration: settings.durationSeconds })
  return { ...stats, mode: 'duration', matched: first.matched, probeMs: first.ms }
}
