/**
 * Turns a dashboard query into a plan over the listing indexes: which sorted sets hold the
 * matching conversations, with which score range, in which order. Every filter but `q` narrows
 * the set of slots (stage x temperature x qualified, globally or for one location) or a score
 * range (stalled: last activity before the cutoff), so a page costs O(log N) per set plus the
 * page itself. Returns null where no index serves the query: a search, or a sort by
 * conversation_started with a filter; those read every candidate.
 */
import { STAGES, TEMPERATURES } from '../../schemas/state-document.js'
import { slotName, type BucketKeys, type IndexSlot } from '../redis/keys.js'
import type { SetRange } from '../redis/scripts.js'
import type { ActiveSelection } from './active-listing.js'
import { ALL_SLOTS } from './index-entry.js'

/**
 * How many conversations a page number may skip by a merge walk inside a group of several sets:
 * at 100,000 contacts a walk of 1,000 plus a page of 200 across 42 sets took 6.6 ms of Redis
 * (npm run bench:paging); 10,000 cost 48-129 ms a page. On a cluster it bounds every page
 * number's offset: each bucket reads offset + page size entries (active-conversations.ts).
 */
export const MAX_PAGE_WALK = 1_000

export interface ListingPlan {
  /** The page walks the groups one after the other; each group is a merge of its sets. */
  groups: SetRange[][]
  /** Order inside a group: by score, then contact id. */
  within: 'asc' | 'desc'
}

const hasFilter = (selection: ActiveSelection): boolean =>
  selection.location_id !== undefined || selection.stage !== undefined ||
  selection.temperature !== undefined || selection.stalled !== undefined

/** The sets of the slots the filters keep, scored by last activity, with the stalled range. */
function activitySets (keys: BucketKeys, selection: ActiveSelection, stalledBefore: number, slots: readonly IndexSlot[]): SetRange[] {
  const sets: SetRange[] = []
  for (const slot of slots) {
    if (selection.stage !== undefined && slot.stage !== selection.stage) continue
    if (selection.temperature !== undefined && slot.temperature !== selection.temperature) continue
    if (selection.stalled === true && slot.qualified) continue
    const key = selection.location_id === undefined ? keys.activity(slotName(slot)) : keys.locationActivity(selection.location_id, slotName(slot))
    // Stalled: not qualified and no activity since the cutoff.
    let [min, max] = ['-inf', '+inf']
    if (selection.stalled === true) max = `(${stalledBefore}`
    if (selection.stalled === false && !slot.qualified) min = String(stalledBefore)
    sets.push({ key, min, max })
  }
  return sets
}

export function planListing (keys: BucketKeys, selection: ActiveSelection, stalledBefore: number): ListingPlan | null {
  if (selection.q !== undefined) return null
  const order = selection.order
  switch (selection.sort) {
    case 'last_activity':
      return { groups: [activitySets(keys, selection, stalledBefore, ALL_SLOTS)], within: order }
    case 'conversation_started':
      return hasFilter(selection) ? null : { groups: [[{ key: keys.startedIndex, min: '-inf', max: '+inf' }]], within: order }
    case 'stage': {
      const stages = order === 'asc' ? STAGES : [...STAGES].reverse()
      const groups = stages.map((stage) => activitySets(keys, selection, stalledBefore, ALL_SLOTS.filter((slot) => slot.stage === stage)))
      return { groups, within: 'desc' }
    }
    case 'temperature': {
      const temperatures = order === 'asc' ? TEMPERATURES : [...TEMPERATURES].reverse()
      const groups = temperatures.map((temperature) => activitySets(keys, selection, stalledBefore, ALL_SLOTS.filter((slot) => slot.temperature === temperature)))
      return { groups, within: 'desc' }
    }
  }
}

/** The plan that reads every candidate of a query no index serves, for the fallback. */
export function candidatePlan (keys: BucketKeys, selection: ActiveSelection, stalledBefore: number): ListingPlan {
  return { groups: [activitySets(keys, selection, stalledBefore, ALL_SLOTS)], within: 'desc' }
}
