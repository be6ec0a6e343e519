/**
 * Lua scripts: each one changes a state, its index entry and its idempotency record together,
 * so no crash or concurrent writer can leave them disagreeing, and checks the HTTP
 * preconditions in the same step. Scripts are not rolled back on error, so each one refuses
 * before its first write when something would make it fail halfway.
 */
import type { Redis, Result } from 'ioredis'

const NOW_MS = `
local function now_ms ()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`

// Shared by the writes. KEYS: state, index, idempotency record. ARGV[1] is the write deadline
// (ms on Redis's clock, see write-deadline.ts). The ARGVs from `first` on are:
// the require-precondition flag ('1'/'0'), the idempotency fingerprint ('' for none), the
// idempotency TTL in ms, '*' for If-None-Match: * (else ''), then If-Match: '' for none, '*',
// or every accepted entity tag, one per ARGV.
const WRITE_PRELUDE = NOW_MS + `
local function arg (first, offset) return ARGV[first + offset] end

-- The client has given up on this write by now: doing it would contradict its 503.
if now_ms() > tonumber(ARGV[1]) then return {'deadline_passed'} end

-- The index must be ours (not the prototype's SET) before anything is written.
local index_kind = redis.call('TYPE', KEYS[2])['ok']
if index_kind ~= 'zset' and index_kind ~= 'none' then return {'index_not_ours', index_kind} end

local kind = redis.call('TYPE', KEYS[1])['ok']
local exists = kind ~= 'none'

-- A repeated Idempotency-Key: the first response, and nothing changes.
local function replay (first)
  local fingerprint = arg(first, 1)
  if fingerprint == '' then return nil end
  local record = redis.call('HMGET', KEYS[3], 'fp', 'status', 'etag', 'body')
  if not record[1] then return nil end
  if record[1] ~= fingerprint then return {'idempotency_mismatch'} end
  return {'replay', record[2], record[3], record[4]}
end

-- nil when the preconditions hold, else why not: required, exists, absent or stale.
local function precondition_failure (first)
  local if_none_match = arg(first, 3)
  local if_match = arg(first, 4)
  if arg(first, 0) == '1' and exists and if_match == '' and if_none_match == '' then return 'required' end
  if if_none_match == '*' and exists then return 'exists' end
  if if_match == '' then return nil end
  if not exists then return 'absent' end
  if if_match == '*' then return nil end
  if kind == 'hash' then
    local current = redis.call('HGET', KEYS[1], 'etag')
    for i = first + 4, #ARGV do
      if ARGV[i] == current then return nil end
    end
  end
  return 'stale'
end

local function remember (first, status, etag, body)
  local fingerprint = arg(first, 1)
  if fingerprint == '' then return end
  redis.call('HSET', KEYS[3], 'fp', fingerprint, 'status', status, 'etag', etag, 'body', body)
  redis.call('PEXPIRE', KEYS[3], arg(first, 2))
end
`

// ARGV: deadline, contact id, document, etag, ttl ms, envelope version, then the prelude's from 7.
const WRITE_STATE = WRITE_PRELUDE + `
local replayed = replay(7)
if replayed then return replayed end
local failure = precondition_failure(7)
if failure then return {'precondition_failed', failure} end

-- A value that is not our hash (a prototype pickle, a hand edit) is replaced whole.
if exists and kind ~= 'hash' then redis.call('DEL', KEYS[1]) end
local now = now_ms()
local ttl = tonumber(ARGV[5])
local expires = string.format('%d', now + ttl)
redis.call('HSET', KEYS[1], 'doc', ARGV[3], 'etag', ARGV[4], 'at', string.format('%d', now), 'exp', expires, 'v', ARGV[6])
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('ZADD', KEYS[2], expires, ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', string.format('%d', now))
remember(7, exists and '200' or '201', ARGV[4], ARGV[3])
return {exists and 'replaced' or 'created', string.format('%d', now), expires}
`

// ARGV: deadline, contact id, then the prelude's from 3.
const DELETE_STATE = WRITE_PRELUDE + `
local replayed = replay(3)
if replayed then return replayed end
local failure = precondition_failure(3)
if failure then return {'precondition_failed', failure} end
redis.call('ZREM', KEYS[2], ARGV[2])
if exists then redis.call('DEL', KEYS[1]) end
remember(3, '204', '', '')
if exists then return {'deleted'} end
return {'absent'}
`

// KEYS: index, then the state key of each ARGV contact id: the members of the Python
// prototype's plain SET, as read just before. Turns the SET into our sorted set, scored by each
// state's remaining TTL; members whose state is gone are dropped, states without a TTL are kept
// with an infinite score. Returns {found, moved}; {-1, 0} when the index is no SET (any more:
// replicas starting together migrate exactly once); {-2, 0} when the SET changed since it was
// read, to be read again.
const MIGRATE_LEGACY_INDEX = NOW_MS + `
if redis.call('TYPE', KEYS[1])['ok'] ~= 'set' then return {-1, 0} end
if redis.call('SCARD', KEYS[1]) ~= #ARGV then return {-2, 0} end
for i = 1, #ARGV do
  if redis.call('SISMEMBER', KEYS[1], ARGV[i]) == 0 then return {-2, 0} end
end
redis.call('DEL', KEYS[1])
local now = now_ms()
local moved = 0
for i = 1, #ARGV do
  local pttl = redis.call('PTTL', KEYS[i + 1])
  if pttl == -1 then
    redis.call('ZADD', KEYS[1], '+inf', ARGV[i])
    moved = moved + 1
  elseif pttl > 0 then
    redis.call('ZADD', KEYS[1], string.format('%d', now + pttl), ARGV[i])
    moved = moved + 1
  end
end
return {#ARGV, moved}
`

// KEYS: index, then one state key per ARGV contact id. Removes the index entries whose state
// is gone; checked here, atomically, so a state written meanwhile keeps its entry.
const REMOVE_GHOSTS = `
local removed = 0
for i = 1, #ARGV do
  if redis.call('EXISTS', KEYS[i + 1]) == 0 then
    redis.call('ZREM', KEYS[1], ARGV[i])
    removed = removed + 1
  end
end
return removed
`

// KEYS: index, then one state key per ARGV contact id. Indexes the states of ours that have no
// entry, scored by their remaining TTL.
const INDEX_ORPHANS = NOW_MS + `
local now = now_ms()
local indexed = 0
for i = 1, #ARGV do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) == false and redis.call('TYPE', KEYS[i + 1])['ok'] == 'hash' then
    local pttl = redis.call('PTTL', KEYS[i + 1])
    if pttl > 0 then
      redis.call('ZADD', KEYS[1], string.format('%d', now + pttl), ARGV[i])
      indexed = indexed + 1
    end
  end
end
return indexed
`

declare module 'ioredis' {
  interface RedisCommander<Context> {
    writeState(stateKey: string, indexKey: string, idempotencyKey: string, ...args: string[]): Result<string[], Context>
    deleteState(stateKey: string, indexKey: string, idempotencyKey: string, ...args: string[]): Result<string[], Context>
    migrateLegacyIndex(numberOfKeys: number, ...keysThenIds: string[]): Result<[number, number], Context>
    removeGhosts(numberOfKeys: number, ...keysThenIds: string[]): Result<number, Context>
    indexOrphans(numberOfKeys: number, ...keysThenIds: string[]): Result<number, Context>
  }
}

export function defineScripts (redis: Redis): void {
  redis.defineCommand('writeState', { numberOfKeys: 3, lua: WRITE_STATE })
  redis.defineCommand('deleteState', { numberOfKeys: 3, lua: DELETE_STATE })
  // Variable key counts: the caller passes the number of keys first.
  redis.defineCommand('migrateLegacyIndex', { lua: MIGRATE_LEGACY_INDEX })
  redis.defineCommand('removeGhosts', { lua: REMOVE_GHOSTS })
  redis.defineCommand('indexOrphans', { lua: INDEX_ORPHANS })
}
