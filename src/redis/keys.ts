/**
 * Every Redis key name the service uses. No other module builds key strings; the Lua scripts
 * get the prefixes of the listing indexes from here (see LISTING_INDEXES in scripts.ts).
 */
import type { Stage, Temperature } from '../../schemas/state-document.js'

/** Where a conversation sits in the listing indexes: one sorted set per combination. */
export interface IndexSlot {
  stage: Stage
  temperature: Temperature
  qualified: boolean
}

export interface KeySpace {
  /** Prefix of every state key; the sweep finds states by scanning for it. */
  statePrefix: string
  /** The document of one contact (a hash, see state-envelope.ts). */
  state: (contactId: string) => string
  /** Sorted set of active contact ids scored by the expiry time of their state, in ms. */
  activeIndex: string
  /** Sorted set of active contact ids scored by conversation_started, in ms. */
  startedIndex: string
  /** Hash: contact id -> its slot and location (INDEX_META in scripts.ts), to unindex it later. */
  indexMeta: string
  /** Sorted set of the contacts of one slot, scored by last activity, in ms. */
  activity: (slot: IndexSlot) => string
  /** The same, for the contacts of one location. */
  locationActivity: (locationId: string, slot: IndexSlot) => string
  /** What the scripts prepend to a slot's name to get the keys above: all, one location's. */
  activityPrefix: string
  locationSlotPrefix: (locationId: string) => string
  /** What the scripts prepend to `<location>:<slot>`. */
  locationPrefix: string
  /** The remembered response of a write made with an Idempotency-Key, scoped to its contact. */
  idempotency: (contactId: string, key: string) => string
  /** Stream of the changes of active conversations (change-stream.ts), written by the scripts. */
  events: string
  /** Held by the replica that runs the index sweep. */
  sweepLock: string
  /** The prototype's SET, moved aside while it is migrated, and the lock of that migration. */
  legacyMigration: string
  legacyMigrationLock: string
}

/** The slot's part of an index key name: `Q2:WARM:u` (u unqualified, q qualified). */
export function slotName ({ stage, temperature, qualified }: IndexSlot): string {
  return `${stage}:${temperature}:${qualified ? 'q' : 'u'}`
}

export function createKeySpace (prefix: string): KeySpace {
  const statePrefix = `${prefix}state:`
  const activityPrefix = `${prefix}activity:`
  const locationPrefix = `${prefix}location:`
  return {
    statePrefix,
    state: (contactId) => statePrefix + contactId,
    activeIndex: `${prefix}active_contacts`,
    startedIndex: `${prefix}started`,
    indexMeta: `${prefix}index_meta`,
    activity: (slot) => activityPrefix + slotName(slot),
    // Location ids contain no ':' (ID_PATTERN), so the slot part cannot be forged.
    locationActivity: (locationId, slot) => `${locationPrefix}${locationId}:${slotName(slot)}`,
    activityPrefix,
    locationSlotPrefix: (locationId) => `${locationPrefix}${locationId}:`,
    locationPrefix,
    // Contact ids contain no ':', so a key can never reach another contact's records.
    idempotency: (contactId, key) => `${prefix}idempotency:${contactId}:${key}`,
    events: `${prefix}events`,
    sweepLock: `${prefix}lock:index_sweep`,
    legacyMigration: `${prefix}migrating:active_contacts`,
    legacyMigrationLock: `${prefix}lock:legacy_migration`
  }
}
