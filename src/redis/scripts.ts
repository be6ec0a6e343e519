/**
 * Lua scripts: each one changes a state and its index entry together, so no crash or
 * concurrent writer can leave them disagreeing, and checks HTTP preconditions in the same step.
 */
import type { Redis, Result } from 'ioredis'

/** Version of the stored hash layout, kept in its `v` field. */
export const ENVELOPE_VERSION = '1'

const NOW_MS = `
local function now_ms ()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`

// Shared prelude. The last ARGVs of a script are: '*' for If-None-Match: * (else ''), then
// If-Match: '' for none, '*', or every accepted entity tag, one per ARGV.
const PRELUDE = NOW_MS + `
-- Scripts are not rolled back on error: refuse before the first write if the index is not ours
-- (the prototype's SET), so a state is never written without its index entry.
local index_kind = redis.call('TYPE', KEYS[2])['ok']
if index_kind ~= 'zset' and index_kind ~= 'none' then return {'index_not_ours', index_kind} end
local kind = redis.call('TYPE', KEYS[1])['ok']
local exists = kind ~= 'none'
-- Returns nil when the preconditions hold, else why not: 'exists', 'absent' or 'stale'.
local function precondition_failure (first)
  if ARGV[first] == '*' and exists then return 'exists' end
  local if_match = ARGV[first + 1]
  if if_match == '' then return nil end
  if not exists then return 'absent' end
  if if_match == '*' then return nil end
  if kind == 'hash' then
    local current = redis.call('HGET', KEYS[1], 'etag')
    for i = first + 1, #ARGV do
      if ARGV[i] == current then return nil end
    end
  end
  return 'stale'
end
`

// KEYS: state, index. ARGV: contact id, document, etag, ttl ms, envelope version, preconditions.
const WRITE_STATE = PRELUDE + `
local failure = precondition_failure(6)
if failure then return {'precondition_failed', failure} end
-- A value that is not our hash (a prototype pickle, a hand edit) is replaced whole.
if exists and kind ~= 'hash' then redis.call('DEL', KEYS[1]) end
local now = now_ms()
local ttl = tonumber(ARGV[4])
redis.call('HSET', KEYS[1], 'doc', ARGV[2], 'etag', ARGV[3], 'at', string.format('%d', now), 'v', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('ZADD', KEYS[2], string.format('%d', now + ttl), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', string.format('%d', now))
if exists then return {'replaced', string.format('%d', now)} end
return {'created', string.format('%d', now)}
`

// KEYS: state, index. ARGV: contact id, preconditions.
const DELETE_STATE = PRELUDE + `
local failure = precondition_failure(2)
if failure then return {'precondition_failed', failure} end
redis.call('ZREM', KEYS[2], ARGV[1])
if not exists then return {'absent'} end
redis.call('DEL', KEYS[1])
return {'deleted'}
`

// KEYS: index. ARGV: state key prefix. Turns the Python prototype's plain SET into our sorted
// set, scored by each state's remaining TTL; members whose state is gone are dropped, states
// without a TTL are kept with an infinite score. Returns {found, moved}, or {-1, 0} when there
// is nothing to migrate, so replicas starting together migrate exactly once.
const MIGRATE_LEGACY_INDEX = NOW_MS + `
if redis.call('TYPE', KEYS[1])['ok'] ~= 'set' then return {-1, 0} end
local members = redis.call('SMEMBERS', KEYS[1])
redis.call('DEL', KEYS[1])
local now = now_ms()
local moved = 0
for _, id in ipairs(members) do
  local pttl = redis.call('PTTL', ARGV[1] .. id)
  if pttl == -1 then
    redis.call('ZADD', KEYS[1], '+inf', id)
    moved = moved + 1
  elseif pttl > 0 then
    redis.call('ZADD', KEYS[1], string.format('%d', now + pttl), id)
    moved = moved + 1
  end
end
return {#members, moved}
`

declare module 'ioredis' {
  interface RedisCommander<Context> {
    writeState(stateKey: string, indexKey: string, ...args: string[]): Result<[string, string], Context>
    deleteState(stateKey: string, indexKey: string, ...args: string[]): Result<[string, string?], Context>
    migrateLegacyIndex(indexKey: string, statePrefix: string): Result<[number, number], Context>
  }
}

export function defineScripts (redis: Redis): void {
  redis.defineCommand('writeState', { numberOfKeys: 2, lua: WRITE_STATE })
  redis.defineCommand('deleteState', { numberOfKeys: 2, lua: DELETE_STATE })
  redis.defineCommand('migrateLegacyIndex', { numberOfKeys: 1, lua: MIGRATE_LEGACY_INDEX })
}
