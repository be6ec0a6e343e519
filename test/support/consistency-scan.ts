/**
 * An independent check that the stored states and the listing indexes agree, for tests that
 * crash things: every state is readable, has its TTL and sits exactly where its document says in
 * every index; every index member has a state. It reads Redis only (no service code but the key
 * names and the pure document-to-slot mapping), so a half-done write shows up as a problem.
 */
import type { RedisClient } from '../../src/redis/client.js'
import { createKeySpace, type KeySpace } from '../../src/redis/keys.js'
import { scanKeys } from './scan-keys.js'
import { indexEntryOf, metaValue } from '../../src/state/index-entry.js'
import type { StateDocument } from '../../schemas/state-document.js'

export interface ConsistencyReport {
  /** States found. */
  states: number
  /** One line per disagreement; empty when the store is consistent. */
  problems: string[]
}

/** Every member of a sorted set with its score. */
async function members (redis: RedisClient, key: string): Promise<Map<string, number>> {
  const flat = await redis.zrange(key, '0', '-1', 'WITHSCORES')
  const map = new Map<string, number>()
  for (let i = 0; i < flat.length; i += 2) map.set(flat[i] as string, Number(flat[i + 1]))
  return map
}

const escapeGlob = (text: string): string => text.replace(/[*?[\]\\]/g, '\\$&')

/** The states and indexes of one bucket, checked against each other. */
async function scanBucket (redis: RedisClient, space: KeySpace, index: number, problems: string[]): Promise<number> {
  const keys = space.bucket(index)
  const base = escapeGlob(keys.activeIndex.slice(0, -'active_contacts'.length))
  const [expiry, started, meta] = await Promise.all([
    members(redis, keys.activeIndex), members(redis, keys.startedIndex), redis.hgetall(keys.indexMeta)
  ])
  // Every sorted set of a slot, global or per location, by key name.
  const slotSets = new Map<string, Map<string, number>>()
  for (const key of [...await scanKeys(redis, `${base}activity:*`), ...await scanKeys(redis, `${base}location:*`)]) {
    slotSets.set(key, await members(redis, key))
  }

  const stateIds = new Set<string>()
  for (const stateKey of await scanKeys(redis, `${escapeGlob(keys.statePrefix)}*`)) {
    const id = stateKey.slice(keys.statePrefix.length)
    stateIds.add(id)
    if (space.bucketOf(id) !== index) problems.push(`${id}: state in bucket ${index}, its id says bucket ${space.bucketOf(id)}`)
    const envelope = await redis.hgetall(stateKey)
    if (envelope.v !== '2' || envelope.doc === undefined || envelope.etag === undefined || envelope.exp === undefined) {
      problems.push(`${id}: envelope incomplete (${Object.keys(envelope).join(',')})`)
      continue
    }
    if (await redis.pttl(stateKey) < 0) problems.push(`${id}: state has no TTL`)
    const entry = indexEntryOf(JSON.parse(envelope.doc) as StateDocument)
    const expectedMeta = metaValue(entry)
    if (meta[id] !== expectedMeta) problems.push(`${id}: index meta is ${meta[id]}, the document says ${expectedMeta}`)
    const place = keys.place(expectedMeta)
    const expectedSets = [place.activity, place.location]
    for (const [setKey, set] of slotSets) {
      const listed = set.has(id)
      if (listed !== expectedSets.includes(setKey)) problems.push(`${id}: ${listed ? 'listed in' : 'missing from'} ${setKey}`)
    }
    for (const setKey of expectedSets) {
      if (!slotSets.has(setKey)) problems.push(`${id}: ${setKey} does not exist`)
    }
    const activity = slotSets.get(place.activity)?.get(id)
    const expectedActivity = entry.lastInteractionMs ?? Number(envelope.at)
    if (activity !== undefined && activity !== expectedActivity) problems.push(`${id}: activity score ${activity}, expected ${expectedActivity}`)
    if (started.get(id) !== entry.conversationStartedMs) problems.push(`${id}: started score ${started.get(id)}, expected ${entry.conversationStartedMs}`)
    if (expiry.get(id) !== Number(envelope.exp)) problems.push(`${id}: expiry score ${expiry.get(id)}, the envelope says ${envelope.exp}`)
  }

  // The reverse: nothing indexed without a state.
  const indexed: Array<[string, Iterable<string>]> = [
    [keys.activeIndex, expiry.keys()], [keys.startedIndex, started.keys()], [keys.indexMeta, Object.keys(meta)],
    ...[...slotSets].map(([key, set]): [string, Iterable<string>] => [key, set.keys()])
  ]
  for (const [indexKey, ids] of indexed) {
    for (const id of ids) if (!stateIds.has(id)) problems.push(`${id}: in ${indexKey} without a state`)
  }
  return stateIds.size
}

/** Every bucket of the key space: `buckets` null for a single node's names, a count for a cluster's. */
export async function scanConsistency (redis: RedisClient, keyPrefix: string, buckets: number | null = null): Promise<ConsistencyReport> {
  const keys = createKeySpace(keyPrefix, buckets)
  const problems: string[] = []
  let states = 0
  for (let i = 0; i < keys.buckets; i++) states += await scanBucket(redis, keys, i, problems)
  return { states, problems }
}
