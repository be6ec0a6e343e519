/**
 * What Redis holds under an app's key prefix, key by key (type, content, TTL), and what changed
 * between two such snapshots: the oracle of the tests that must prove a request left no trace, or
 * touched only its own contact's keys (the security suite, the hostile-input oracle). One
 * implementation, so that every such test judges "unchanged" the same way.
 */
import type { Redis } from 'ioredis'

export interface KeyState {
  type: string
  /** PTTL: -1 without expiry. */
  ttlMs: number
  /** Members (set), fields (hash), members with scores (sorted set), entries (stream: id -> its fields, one a line), or the value (others). */
  entries: Map<string, string>
}

/** Every key of the prefix, by its full name. */
export type KeySnapshot = Map<string, KeyState>

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
    content = {}
    for _, entry in ipairs(redis.call('XRANGE', key, '-', '+')) do
      content[#content + 1] = entry[1]
      content[#content + 1] = table.concat(entry[2], '\\n')
    end
  else content = { '', redis.call('DUMP', key) }
  end
  out[#out + 1] = { key, kind, redis.call('PTTL', key), content }
end
return out`

/**
 * Every key of the prefix with its content and TTL. The sweep's locks are left out: they come
 * and go by themselves.
 */
export async function snapshotKeys (redis: Redis, keyPrefix: string): Promise<KeySnapshot> {
  const keys = await redis.eval(SNAPSHOT_SCRIPT, 0, `${keyPrefix}*`) as Array<[string, string, number, string[]]>
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

/**
 * What changed between two snapshots, as readable lines (key names without the prefix). With an
 * owner (a contact id), what belongs to that contact is left out: its state key, its idempotency
 * records, and its entry in every shared index (a member or field named by its id). Everything
 * else must be as it was: same content, no TTL reset.
 */
export function keyChanges (before: KeySnapshot, after: KeySnapshot, keyPrefix: string, owner: string | null = null): string[] {
  const perContact = (key: string): boolean => key.startsWith(`${keyPrefix}state:`) || key.startsWith(`${keyPrefix}idempotency:`)
  const owns = (key: string): boolean => owner !== null &&
    (key === `${keyPrefix}state:${owner}` || key.startsWith(`${keyPrefix}idempotency:${owner}:`))
  // In a shared index the owner's entry is left out (in the change stream, the owner's events),
  // and an absent index is an empty one (the owner's entry may have been its only one). Another
  // contact's keys are compared whole.
  const ownersEvent = (fields: string): boolean => fields.split('\n').some((value, i, all) => i % 2 === 0 && value === 'id' && all[i + 1] === owner)
  const content = (state: KeyState | undefined, shared: boolean): string => {
    const entries = [...state?.entries ?? []].filter(([member, value]) => !shared || (state?.type === 'stream' ? !ownersEvent(value) : member !== owner))
    return state === undefined || (shared && entries.length === 0) ? 'empty' : JSON.stringify([state.type, entries.sort()])
  }
  const found: string[] = []
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    if (owns(key)) continue
    const was = before.get(key)
    const is = after.get(key)
    const name = key.slice(keyPrefix.length)
    const shared = owner !== null && !perContact(key) && [was?.type, is?.type].every((type) => type === undefined || type === 'zset' || type === 'hash' || type === 'set' || type === 'stream')
    if (content(was, shared) !== content(is, shared)) {
      found.push(`${name}: ${was === undefined ? 'created' : is === undefined ? 'deleted' : 'changed'}`)
    }
    if (was !== undefined && is !== undefined && ((was.ttlMs === -1) !== (is.ttlMs === -1) || (was.ttlMs >= 0 && is.ttlMs > was.ttlMs))) {
      found.push(`${name}: TTL changed from ${was.ttlMs} to ${is.ttlMs} ms`)
    }
  }
  return found.sort()
}
