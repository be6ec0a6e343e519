/**
 * The cases every measured service runs (single node, cluster, an earlier build): the bot's path
 * on a fresh set of contacts, and every listing case at one size.
 */
import { botCases, type CaseSettings } from './bot-cases.js'
import { LISTING_CASES, measureListing, type ListingSettings } from './listing.js'
import type { Stats } from './measure.js'
import type { ListingResult } from './report.js'

export interface BotPathResults { put: Stats, get: Stats, turn: Stats, turnRequests: Stats }

/** PUT, then GET of every contact (those the PUT did not reach written first), then the bot turn. */
export async function measureBotPath (url: string, contacts: number, nowMs: number, http: CaseSettings): Promise<BotPathResults> {
  // Counters of their own: a new service starts with none of the contacts.
  const bot = botCases(contacts, nowMs)
  const put = await bot.put(url, http)
  await bot.fill(url)
  const get = await bot.get(url, http)
  const turn = await bot.turn(url, http)
  return { put, get, turn: { ...turn.turn, loadAverage: turn.requests.loadAverage }, turnRequests: turn.requests }
}

/** Every listing case, with `n` contacts populated. */
export async function measureListingAt (url: string, n: number, settings: ListingSettings, log: (message: string) => void): Promise<ListingResult[]> {
  const rows: ListingResult[] = []
  for (const listingCase of LISTING_CASES) {
    const stats = await measureListing(url, listingCase, settings)
    rows.push({ n, case: listingCase.name, stats })
    log(`  ${listingCase.name}: ${stats.mode === 'failed'
      ? `failed after ${stats.probeMs.toFixed(0)} ms: ${stats.error ?? ''}`
      : `p50 ${stats.p50.toFixed(2)} ms (${stats.mode}, ${stats.count} samples, matched ${stats.matched}, load ${stats.loadAverage?.toFixed(2) ?? '?'})`}`)
  }
  return rows
}
