/**
 * Where a document goes in the listing indexes, computed once per write: its slot (stage,
 * temperature, qualified), location, last activity and start, as the scripts store them.
 */
import { STAGES, TEMPERATURES, type StateDocument } from '../../schemas/state-document.js'
import type { IndexSlot } from '../redis/keys.js'
import { slotName } from '../redis/keys.js'
import { deriveTemperature } from './temperature.js'
import { toEpochMs } from './python-datetime.js'
import { rowSourceOf } from './row-source.js'

export interface IndexEntry {
  slot: IndexSlot
  locationId: string
  /** last_interaction in ms, or null: the time of the write, which only the script knows. */
  lastInteractionMs: number | null
  conversationStartedMs: number
  /** What the change event of the write carries to build its row (row-source.ts). */
  rowSource: string
}

export function indexEntryOf (doc: StateDocument): IndexEntry {
  return {
    slot: { stage: doc.stage, temperature: deriveTemperature(doc), qualified: doc.is_qualified },
    locationId: doc.location_id,
    lastInteractionMs: doc.last_interaction === null ? null : toEpochMs(doc.last_interaction),
    conversationStartedMs: toEpochMs(doc.conversation_started) ?? 0,
    rowSource: rowSourceOf(doc)
  }
}

/** The meta value the scripts keep per contact: `<slot>|<location>`, e.g. `Q2:WARM:u|loc_1`. */
export function metaValue (entry: IndexEntry): string {
  return `${slotName(entry.slot)}|${entry.locationId}`
}

/** Every slot, in the order of the stages and temperatures. */
export const ALL_SLOTS: readonly IndexSlot[] = STAGES.flatMap((stage) => TEMPERATURES.flatMap((temperature) =>
  [false, true].map((qualified) => ({ stage, temperature, qualified }))))
