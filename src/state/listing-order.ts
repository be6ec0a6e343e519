/**
 * The order of every listing, stated once: by the group of the plan (listing-plan.ts), then by
 * score in the plan's direction, then by contact id in that direction. It is the order of Redis's
 * sorted sets, which list-page.lua follows inside a bucket; the service merges the buckets' pages
 * and sorts the pages of the queries no index serves with it.
 */
import type { ListPosition } from '../redis/scripts.js'

/** A score as Redis writes it ('inf' for an infinite one) as a number. */
function scoreValue (score: string): number {
  if (score === 'inf' || score === '+inf') return Infinity
  if (score === '-inf') return -Infinity
  return Number(score)
}

// Contact ids are ASCII (ID_PATTERN): comparing UTF-16 units is comparing bytes, as Redis does.
const compareIds = (a: string, b: string): number => a < b ? -1 : a > b ? 1 : 0

export function comparePositions (within: 'asc' | 'desc'): (a: ListPosition, b: ListPosition) => number {
  const direction = within === 'asc' ? 1 : -1
  return (a, b) => a.group - b.group ||
    direction * (scoreValue(a.score) - scoreValue(b.score) || compareIds(a.contactId, b.contactId))
}
