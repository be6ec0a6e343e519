/**
 * What Redis holds under an app's key prefix, key by key (type, content, TTL), and what changed
 * between two such snapshots: the oracle of the tests that must prove a request left no trace, or
 * touched only its own contact's keys (the security suite, the hostile-input oracle). One
 * implementation, so that every such test judges "unchanged" the same way.
 */
import type { Cluster, Redis } from 'ioredis'
import type { BucketKeys, KeySpace } from '../../src/redis/keys.js'
import { keyHolders } from './scan-keys.js'

export interface KeyState {
  type: string
  /** PTTL: -1 without expiry. */
  ttlMs: number
  /** Members (set), fields (hash), members with scores (sorted set), entries (stream: id -> its fields, one a line), or the value (others). */
  entries: Map<string, string>
}

/** Every key of the prefix, by its full name. */
export type KeySnapshot = Map<string, KeyState>

// Stream entries a snapshot holds (the newest).
const STREAM_WINDOW = 200

/** Stream ids (`<ms>-<seq>`) in order. */
const byStreamId = (a: string, b: string): number => {
  const [am, as] = a.split('-').map(Number) as [number, number]
  const [bm, bs] = b.split('-').map(Number) as [number, number]
  return am - bm || as - bs
}

// One round trip per snapshot. Contents, not DUMP: a large hash's DUMP follows its dict's
// iteration order, which a mere read can change (incremental rehashing).
const SNAPSHOT_SCRIPT = `
local out = {}
for _, key in ipairs(redis.call('KEYS', ARGV[1])) do
  local kind = redis.call('TYPE', key)['ok']
  local content
  if kind == 'hash' then content = redis.call('HGETALL', key)
  elseif kind == 'zset' then content = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
  elseif kind == 'set' then content = redis.call('SMEMBERS', key)
  elseif kind == 'string' then content = { '', redis.call('GET', key) }
  elseif kind == 'stream' then
    -- The newest entries only: reading a long stream whole on every request made the hostile
    -- suites quadratic. keyChanges compares the part both windows hold, plus what is new.
    content = {}
    for _, entry in ipairs(redis.call('XREVRANGE', key, '+', '-', 'COUNT', ${STREAM_WINDOW})) do
      content[#content + 1] = entry[1]
      content[#content + 1] = table.concat(entry[2], '\\n')
    end
  else content = { '', redis.call('DUMP', key) }
  end
  out[#out + 1] = { key, kind, redis.call('PTTL', key), content }
end
return out`

/**
 * Every key of the prefix with its content and TTL (on a cluster, master by master). The sweep's
 * locks are left out: they come and go by themselves.
 */
export async function snapshotKeys (redis: Redis | Cluster, keyPrefix: string): Promise<KeySnapshot> {
  const perServer = await Promise.all((await keyHolders(redis)).map(async (server) =>
    await server.eval(SNAPSHOT_SCRIPT, 0, `${keyPrefix}*`) as Array<[string, string, number, string[]]>))
  const keys = perServer.flat()
  const snapshot: KeySnapshot = new Map()
  for (const [key, type, ttlMs, content] of keys) {
    if (key.startsWith(`${keyPrefix}lock:`)) continue
    const entries = type === 'set'
      ? content.map((member): [string, string] => [member, ''])
      : content.flatMap((item, i): Array<[string, string]> => i % 2 === 0 ? [[item, content[i + 1] as string]] : [])
    snapshot.set(key, { type, ttlMs, entries: new Map(entries) })
  }
  return snapshot
}

/** The names of a bucket's per-contact keys (states, idempotency records) start with one of these. */
function perContactPrefixes (bucket: BucketKeys): string[] {
  // A record's name for an empty contact id and key, less the separator before the key.
  return [bucket.statePrefix, bucket.idempotency('', '').slice(0, -1)]
}

/**
 * What changed between two snapshots, as readable lines (key names without the prefix). With an
 * owner (a contact id), what belongs to that contact is left out: its state key, its idempotency
 * records, and its entry in every shared index (a member or field named by its id). Everything
 * else must be as it was: same content, no TTL reset.
 */
export function keyChanges (before: KeySnapshot, after: KeySnapshot, keys: KeySpace, owner: string | null = null): string[] {
  const prefixes = Array.from({ length: keys.buckets }, (_, i) => perContactPrefixes(keys.bucket(i))).flat()
  const perContact = (key: string): boolean => prefixes.some((prefix) => key.startsWith(prefix))
  const owns = (key: string): boolean => owner !== null &&
    (key === keys.of(owner).state(owner) || key.startsWith(keys.of(owner).idempotency(owner, '')))
  // In a shared index the owner's entry is left out (in the change stream, the owner's events),
  // and an absent index is an empty one (the owner's entry may have been its only one). Another
  // contact's keys are compared whole.
  const ownersEvent = (fields: string): boolean => fields.split('\n').some((value, i, all) => i % 2 === 0 && value === 'id' && all[i + 1] === owner)
  const content = (state: KeyState | undefined, shared: boolean, streamFrom: string | null): string => {
    const entries = [...state?.entries ?? []].filter(([member, value]) => state?.type === 'stream'
      ? (streamFrom === null || byStreamId(member, streamFrom) >= 0) && !(shared && ownersEvent(value))
      : !shared || member !== owner)
    return state === undefined || (shared && entries.length === 0) ? 'empty' : JSON.stringify([state.type, entries.sort()])
  }
  const found: string[] = []
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    if (owns(key)) continue
    const was = before.get(key)
    const is = after.get(key)
    const name = key.slice(keys.prefix.length)
    const shared = owner !== null && !perContact(key) && [was?.type, is?.type].every((type) => type === undefined || type === 'zset' || type === 'hash' || type === 'set' || type === 'stream')
    // A stream snapshot holds its newest entries: compared from where both windows start.
    const oldest = (state: KeyState | undefined): string | null => state?.type === 'stream' && state.entries.size > 0 ? [...state.entries.keys()].sort(byStreamId)[0] as string : null
    const starts = [oldest(was), oldest(is)].filter((id): id is string => id !== null).sort(byStreamId)
    const streamFrom = starts[starts.length - 1] ?? null
    if (content(was, shared, streamFrom) !== content(is, shared, streamFrom)) {
      found.push(`${name}: ${was === undefined ? 'created' : is === undefined ? 'deleted' : 'changed'}`)
    }
    if (was !== undefined && is !== undefined && ((was.ttlMs === -1) !== (is.ttlMs === -1) || (was.ttlMs >= 0 && is.ttlMs > was.ttlMs))) {
      found.push(`${name}: TTL changed from ${was.ttlMs} to ${is.ttlMs} ms`)
    }
  }
  return found.sort()
}
