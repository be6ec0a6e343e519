/**
 * Every Redis key name the service uses. No other module builds key strings, and no Lua script
 * does: a script is given every key it touches.
 *
 * Single node: one bucket and the names the Python prototype used (`seller:state:<id>`,
 * `seller:active_contacts`). Redis Cluster: B buckets, each key named `<prefix>{<tag>}:<rest>`
 * (buckets.ts), so that a contact's keys and its bucket's indexes share one slot.
 */
import type { Stage, Temperature } from '../../schemas/state-document.js'
import { bucketOf, bucketTag } from './buckets.js'

/** Where a conversation sits in the listing indexes: one sorted set per combination. */
export interface IndexSlot {
  stage: Stage
  temperature: Temperature
  qualified: boolean
}

/** Where a contact sits in a bucket's listing indexes: its meta value and its two slot sets. */
export interface Place {
  meta: string
  activity: string
  location: string
}

/** The keys of one bucket: its contacts' states and records, and the indexes of those contacts. */
export interface BucketKeys {
  /** Prefix of every state key of the bucket; the sweep finds states by scanning for it. */
  statePrefix: string
  /** The document of one contact (a hash, see state-envelope.ts). */
  state: (contactId: string) => string
  /** Sorted set of active contact ids scored by the expiry time of their state, in ms. */
  activeIndex: string
  /** Sorted set of active contact ids scored by conversation_started, in ms. */
  startedIndex: string
  /** Hash: contact id -> `<slot>|<location>` (index-entry.ts), where to unindex it later. */
  indexMeta: string
  /** Sorted set of the contacts of one slot (by its slotName), scored by last activity, in ms. */
  activity: (slot: string) => string
  /** The same, for the contacts of one location. */
  locationActivity: (locationId: string, slot: string) => string
  /** A place in the indexes, `<slot>|<location>` as the meta holds it, with the keys of its two sets. */
  place: (meta: string) => Place
  /** The remembered response of a write made with an Idempotency-Key, scoped to its contact. */
  idempotency: (contactId: string, key: string) => string
  /** Prefix of every such record of the bucket, `<contact id>:<key>` follows; the move to a cluster scans for it. */
  idempotencyPrefix: string
  /** Stream of the changes of the bucket's conversations (change-stream.ts), written by the scripts. */
  events: string
}

export interface KeySpace {
  /** KEY_PREFIX: every key name starts with it. */
  prefix: string
  /** How many buckets the contacts are spread over: 1 on a single node. */
  buckets: number
  /** Whether key names carry hash tags (Redis Cluster). */
  tagged: boolean
  bucket: (index: number) => BucketKeys
  bucketOf: (contactId: string) => number
  /** The keys of the contact's bucket. */
  of: (contactId: string) => BucketKeys
  /** The prototype's plain SET of active contacts (single node: the active index's name). */
  legacyIndex: string
  /** That SET, moved aside while it is migrated, and the lock of that migration. */
  legacyMigration: string
  legacyMigrationLock: string
  /** Held by the replica that runs the index sweep. */
  sweepLock: string
  /** What @fastify/rate-limit prepends to its counters (one key per token and window). */
  rateLimitPrefix: string
}

/** The slot's part of an index key name: `Q2:WARM:u` (u unqualified, q qualified). */
export function slotName ({ stage, temperature, qualified }: IndexSlot): string {
  return `${stage}:${temperature}:${qualified ? 'q' : 'u'}`
}

function bucketKeys (base: string): BucketKeys {
  const statePrefix = `${base}state:`
  const idempotencyPrefix = `${base}idempotency:`
  const activity = (slot: string): string => `${base}activity:${slot}`
  // Location ids contain no ':' (ID_PATTERN), so the slot part cannot be forged.
  const locationActivity = (locationId: string, slot: string): string => `${base}location:${locationId}:${slot}`
  return {
    statePrefix,
    state: (contactId) => statePrefix + contactId,
    activeIndex: `${base}active_contacts`,
    startedIndex: `${base}started`,
    indexMeta: `${base}index_meta`,
    activity,
    locationActivity,
    place (meta) {
      // Slot names and location ids contain no '|'.
      const bar = meta.indexOf('|')
      const slot = meta.slice(0, bar)
      return { meta, activity: activity(slot), location: locationActivity(meta.slice(bar + 1), slot) }
    },
    // Contact ids contain no ':', so a key can never reach another contact's records.
    idempotency: (contactId, key) => `${idempotencyPrefix}${contactId}:${key}`,
    idempotencyPrefix,
    events: `${base}events`
  }
}

/**
 * The key space of a prefix: `buckets` null for a single node (today's names), a count for a
 * cluster (tagged names; the count is fixed for the life of the data).
 */
export function createKeySpace (prefix: string, buckets: number | null = null): KeySpace {
  const count = buckets ?? 1
  const all = Array.from({ length: count }, (_, i) => bucketKeys(buckets === null ? prefix : `${prefix}{${bucketTag(i, count)}}:`))
  const bucket = (index: number): BucketKeys => all[index] as BucketKeys
  return {
    prefix,
    buckets: count,
    tagged: buckets !== null,
    bucket,
    bucketOf: (contactId) => bucketOf(contactId, count),
    of: (contactId) => bucket(bucketOf(contactId, count)),
    legacyIndex: `${prefix}active_contacts`,
    legacyMigration: `${prefix}migrating:active_contacts`,
    legacyMigrationLock: `${prefix}lock:legacy_migration`,
    sweepLock: `${prefix}lock:index_sweep`,
    rateLimitPrefix: `${prefix}rate_limit:`
  }
}
