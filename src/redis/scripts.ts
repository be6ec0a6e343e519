/**
 * Lua scripts: each one changes a state, its index entry and its idempotency record together,
 * so no crash or concurrent writer can leave them disagreeing, and checks the HTTP
 * preconditions in the same step. Scripts are not rolled back on error, so each one refuses
 * before its first write when something would make it fail halfway.
 */
import type { Redis, Result } from 'ioredis'
import { EVENTS_MAX_AGE_MS, EVENTS_MAX_LENGTH } from './change-stream.js'

const NOW_MS = `
local function now_ms ()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`

// Functions on the listing indexes (see keys.ts): a contact sits in the sorted set of its slot
// and in that of its slot at its location, both scored by last activity, in the started index
// and in the active index (scored by expiry); META remembers its slot and location so it can be
// taken out again. A script using them first defines EXPIRY, META and STARTED (key names) and
// ACTIVITY and LOCATION (the prefixes the slot keys are built from), and EVENTS, the change
// stream (change-stream.ts), which every change of the indexes appends to in the same step.
const INDEX_LIB = `
local function slot_keys (meta)
  local slot, location = string.match(meta, '^([^|]*)|(.*)$')
  return ACTIVITY .. slot, LOCATION .. location .. ':' .. slot
end

-- Appends a change to the stream, trimmed by length and, once per script, by age (ids are
-- Redis's ms clock).
local aged_out = false
local function emit (fields)
  redis.call('XADD', EVENTS, 'MAXLEN', '~', '${EVENTS_MAX_LENGTH}', '*', unpack(fields))
  if aged_out then return end
  aged_out = true
  local t = redis.call('TIME')
  redis.call('XTRIM', EVENTS, 'MINID', '~', string.format('%d', tonumber(t[1]) * 1000 - ${EVENTS_MAX_AGE_MS}))
end

-- kind: 'deleted' or 'expired', the event it makes; the event names where the contact was.
local function unindex (id, kind)
  local meta = redis.call('HGET', META, id)
  if meta then
    local activity, location = slot_keys(meta)
    emit({'k', kind, 'id', id, 'm', meta, 'a', redis.call('ZSCORE', activity, id) or ''})
    redis.call('ZREM', activity, id)
    redis.call('ZREM', location, id)
    redis.call('HDEL', META, id)
  end
  redis.call('ZREM', STARTED, id)
  redis.call('ZREM', EXPIRY, id)
end

local function index (id, meta, last_activity, started, expires)
  local old = redis.call('HGET', META, id)
  if old and old ~= meta then
    local activity, location = slot_keys(old)
    redis.call('ZREM', activity, id)
    redis.call('ZREM', location, id)
  end
  local activity, location = slot_keys(meta)
  redis.call('ZADD', activity, last_activity, id)
  redis.call('ZADD', location, last_activity, id)
  redis.call('ZADD', STARTED, started, id)
  redis.call('ZADD', EXPIRY, expires, id)
  redis.call('HSET', META, id, meta)
end

-- Unindexes up to limit contacts whose state has expired (Redis expires a key once its time
-- has passed, hence the exclusive bound); returns how many.
local function reap (now, limit)
  local expired = redis.call('ZRANGE', EXPIRY, '-inf', '(' .. now, 'BYSCORE', 'LIMIT', 0, limit)
  for _, id in ipairs(expired) do unindex(id, 'expired') end
  return #expired
end
`

// Expired contacts each write takes out of the indexes on its way, so they never pile up.
const REAP_PER_WRITE = 20
// Expired contacts one read script takes out: a wave of expiries costs many short scripts,
// never one long one.
export const REAP_BATCH = 500
// How many conversations a page number may skip by a merge walk inside a group of several sets:
// at 100,000 contacts a walk of 1,000 plus a page of 200 across 42 sets took 6.6 ms of Redis
// (npm run bench:paging); the former limit, 10,000, cost 48-129 ms a page (issue 11).
export const MAX_PAGE_WALK = 1_000

// Shared by the writes. KEYS: state, active index, idempotency record, index meta, started
// index. ARGV[1] is the write deadline
// (ms on Redis's clock, see write-deadline.ts). The ARGVs from `first` on are:
// the require-precondition flag ('1'/'0'), the idempotency fingerprint ('' for none), the
// idempotency TTL in ms, '*' for If-None-Match: * (else ''), the If-Match mode ('none', 'any'
// for *, 'tags') and, for 'tags', every accepted entity tag, one per ARGV (any string: "" and "*"
// quoted are tags like others).
const WRITE_PRELUDE = NOW_MS + `
local function arg (first, offset) return ARGV[first + offset] end

-- The client has given up on this write by now: doing it would contradict its 503.
if now_ms() > tonumber(ARGV[1]) then return {'deadline_passed'} end

-- The index must be ours (not the prototype's SET) before anything is written.
local index_kind = redis.call('TYPE', KEYS[2])['ok']
if index_kind ~= 'zset' and index_kind ~= 'none' then return {'index_not_ours', index_kind} end

local kind = redis.call('TYPE', KEYS[1])['ok']
local exists = kind ~= 'none'
-- Our envelope is a hash with a layout version; anything else there is a value not ours.
local ours = kind == 'hash' and redis.call('HEXISTS', KEYS[1], 'v') == 1

-- A repeated Idempotency-Key: the first response, and nothing changes. A record keeps no copy
-- of the document (its memory must not grow with the document's size): the body is the state's
-- if it still has the recorded ETag, else '' (a record of an earlier version may hold a body).
local function replay (first)
  local fingerprint = arg(first, 1)
  if fingerprint == '' then return nil end
  local record = redis.call('HMGET', KEYS[3], 'fp', 'status', 'etag', 'body')
  if not record[1] then return nil end
  if record[1] ~= fingerprint then return {'idempotency_mismatch'} end
  local body = record[4] or ''
  if body == '' and ours and record[3] ~= '' then
    local current = redis.call('HMGET', KEYS[1], 'etag', 'doc')
    if current[1] == record[3] then body = current[2] end
  end
  return {'replay', record[2], record[3], body}
end

-- nil when the preconditions hold, else why not: required, exists, absent or stale.
local function precondition_failure (first)
  local if_none_match = arg(first, 3)
  local if_match = arg(first, 4)
  if arg(first, 0) == '1' and exists and if_match == 'none' and if_none_match == '' then return 'required' end
  if if_none_match == '*' and exists then return 'exists' end
  if if_match == 'none' then return nil end
  if not exists then return 'absent' end
  if if_match == 'any' then return nil end
  if ours then
    local current = redis.call('HGET', KEYS[1], 'etag')
    for i = first + 5, #ARGV do
      if ARGV[i] == current then return nil end
    end
  end
  return 'stale'
end

-- What a write answers without writing: a replay or a failed precondition; nil to go on.
local function refusal (first)
  local replayed = replay(first)
  if replayed then return replayed end
  local failure = precondition_failure(first)
  if failure then return {'precondition_failed', failure} end
  return nil
end

local function remember (first, status, etag)
  local fingerprint = arg(first, 1)
  if fingerprint == '' then return end
  redis.call('HSET', KEYS[3], 'fp', fingerprint, 'status', status, 'etag', etag)
  redis.call('PEXPIRE', KEYS[3], arg(first, 2))
end
`

// KEYS: the prelude's, then the change stream. ARGV: deadline, contact id, document, etag, ttl
// ms, envelope version, activity prefix, location prefix, index meta, last activity ms ('' for
// the time of the write), started ms, the event's row source (change-row.ts), then the
// prelude's from 13.
const WRITE_STATE = `
local EXPIRY, META, STARTED, EVENTS = KEYS[2], KEYS[4], KEYS[5], KEYS[6]
local ACTIVITY, LOCATION = ARGV[7], ARGV[8]
` + INDEX_LIB + WRITE_PRELUDE + `
local refused = refusal(13)
if refused then return refused end

-- A value that is not ours (a prototype pickle, a hand-made hash) is replaced whole.
if exists and not ours then redis.call('DEL', KEYS[1]) end
local now = string.format('%d', now_ms())
reap(now, ${REAP_PER_WRITE})
local ttl = tonumber(ARGV[5])
local expires = string.format('%d', tonumber(now) + ttl)
redis.call('HSET', KEYS[1], 'doc', ARGV[3], 'etag', ARGV[4], 'at', now, 'exp', expires, 'v', ARGV[6])
redis.call('PEXPIRE', KEYS[1], ttl)
-- Where the contact was, so that a filtered feed can tell it left.
local was = redis.call('HGET', META, ARGV[2])
local was_activity = was and redis.call('ZSCORE', (slot_keys(was)), ARGV[2]) or ''
local last_activity = ARGV[10] ~= '' and ARGV[10] or now
index(ARGV[2], ARGV[9], last_activity, ARGV[11], expires)
emit({'k', was and 'updated' or 'created', 'id', ARGV[2], 'm', ARGV[9], 'a', last_activity,
  'r', ARGV[12], 'at', now, 'exp', expires, 'pm', was or '', 'pa', was_activity})
remember(13, exists and '200' or '201', ARGV[4])
return {exists and 'replaced' or 'created', now, expires}
`

// KEYS: the prelude's, then the change stream. ARGV: deadline, contact id, activity prefix,
// location prefix, then the prelude's from 5.
const DELETE_STATE = `
local EXPIRY, META, STARTED, EVENTS = KEYS[2], KEYS[4], KEYS[5], KEYS[6]
local ACTIVITY, LOCATION = ARGV[3], ARGV[4]
` + INDEX_LIB + WRITE_PRELUDE + `
local refused = refusal(5)
if refused then return refused end
unindex(ARGV[2], 'deleted')
if exists then redis.call('DEL', KEYS[1]) end
remember(5, '204', '')
if exists then return {'deleted'} end
return {'absent'}
`

// KEYS: active index, migration set, migration lock. ARGV: lock holder, lock ttl ms. Begins or
// resumes the migration of the Python prototype's plain SET: moves the SET aside (a rename: one
// step, whatever its size) into the migration set, then takes the lock that makes one replica
// migrate it. Returns the number of members to migrate, or -1 when there is nothing to do or
// another replica holds the lock.
const MIGRATE_LEGACY_BEGIN = `
if redis.call('TYPE', KEYS[1])['ok'] == 'set' then
  if redis.call('EXISTS', KEYS[2]) == 1 then
    redis.call('SUNIONSTORE', KEYS[2], KEYS[2], KEYS[1])
    redis.call('DEL', KEYS[1])
  else
    redis.call('RENAME', KEYS[1], KEYS[2])
  end
end
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
if not redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[2], 'NX') then return -1 end
return redis.call('SCARD', KEYS[2])
`

// KEYS: migration set, active index, then the state key of each ARGV contact id (a chunk of the
// migration set). Indexes each by its state's remaining TTL (an infinite score for a state
// without one; none for a state that is gone) and takes it out of the migration set. Returns how
// many it indexed.
const MIGRATE_LEGACY_CHUNK = NOW_MS + `
local now = now_ms()
local moved = 0
for i = 1, #ARGV do
  if redis.call('SREM', KEYS[1], ARGV[i]) == 1 then
    local pttl = redis.call('PTTL', KEYS[i + 2])
    if pttl == -1 then
      redis.call('ZADD', KEYS[2], '+inf', ARGV[i])
      moved = moved + 1
    elseif pttl > 0 then
      redis.call('ZADD', KEYS[2], string.format('%d', now + pttl), ARGV[i])
      moved = moved + 1
    end
  end
end
return moved
`

// KEYS: active index, index meta, started index, then the state key of each contact id, then
// the change stream. ARGV: activity prefix, location prefix, then the contact ids. Unindexes
// those whose state is gone (expired, or deleted behind the service's back); checked here,
// atomically, so a state written meanwhile keeps its entries.
const REMOVE_GHOSTS = NOW_MS + `
local EXPIRY, META, STARTED, EVENTS = KEYS[1], KEYS[2], KEYS[3], KEYS[#KEYS]
local ACTIVITY, LOCATION = ARGV[1], ARGV[2]
` + INDEX_LIB + `
local removed, now = 0, now_ms()
for i = 3, #ARGV do
  if redis.call('EXISTS', KEYS[i + 1]) == 0 then
    local expiry = tonumber(redis.call('ZSCORE', EXPIRY, ARGV[i]))
    unindex(ARGV[i], (expiry and expiry < now) and 'expired' or 'deleted')
    removed = removed + 1
  end
end
return removed
`

// KEYS: state, active index, index meta, started index. ARGV: contact id, etag, activity prefix,
// location prefix, index meta, last activity ms ('' for the time of the write), started ms.
// Indexes a state that its writer did not (written by an older version, restored, hand-made),
// unless it changed since it was read. Returns 1 when it indexed it.
const REINDEX_STATE = NOW_MS + `
local EXPIRY, META, STARTED = KEYS[2], KEYS[3], KEYS[4]
local ACTIVITY, LOCATION = ARGV[3], ARGV[4]
` + INDEX_LIB + `
if redis.call('TYPE', KEYS[1])['ok'] ~= 'hash' or redis.call('HGET', KEYS[1], 'etag') ~= ARGV[2] then return 0 end
local pttl = redis.call('PTTL', KEYS[1])
if pttl == -2 then return 0 end
local expires = pttl == -1 and '+inf' or string.format('%d', now_ms() + pttl)
local last_activity = ARGV[6] ~= '' and ARGV[6] or redis.call('HGET', KEYS[1], 'at')
index(ARGV[1], ARGV[5], last_activity, ARGV[7], expires)
return 1
`

// Shared by the reads of the listing indexes. KEYS: active index, index meta, started index,
// change stream. ARGV: activity prefix, location prefix, then the script's own. Every expired
// contact is taken out of the indexes first (with its event), so nothing counted or listed
// after is one.
const READ_PRELUDE_HEAD = NOW_MS + `
local EXPIRY, META, STARTED, EVENTS = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local ACTIVITY, LOCATION = ARGV[1], ARGV[2]
` + INDEX_LIB
const READ_PRELUDE = READ_PRELUDE_HEAD + `
-- The caller has reaped in bounded steps just before (reapExpired); what expired since, in the
-- instant between, goes here, bounded too, so no script blocks Redis for long.
reap(string.format('%d', now_ms()), ${REAP_BATCH})
`

// KEYS: active index, index meta, started index, change stream. ARGV: activity prefix, location prefix. Takes
// up to REAP_BATCH expired contacts out of the indexes; returns how many.
const REAP_EXPIRED = READ_PRELUDE_HEAD + `
return reap(string.format('%d', now_ms()), ${REAP_BATCH})
`

// KEYS: active index, index meta, started index, change stream. ARGV: activity prefix, location prefix, offset,
// limit, order within a group ('desc' or 'asc'), the cursor (group number, score, contact id of
// the last entry already seen; group 0 for none), the number of groups, then per group the
// number of its sorted sets followed by key, min and max of each. The page is the groups one
// after the other, each a merge of its sets by score then contact id, from the cursor or the
// offset on. Returns {total, unindexed, id, score, group, ...}; unindexed counts the active
// contacts the listing indexes do not hold (values that are not ours); a total of -1 when the
// offset walks further than MAX_PAGE_WALK into a group of several sets.
//
// Its cost is bounded whatever the depth and however many entries share a score: each set is
// read by rank, from where the page starts. A set's position past a cursor is found by counting
// (ZCOUNT) and, among the entries that share the cursor's score, by a binary search on the
// contact id (Redis orders equal scores by member, byte by byte: the listing's tie-break), so a
// cursor costs O(log N) per set instead of a walk through the ties. An offset into a group of
// one set is a rank; into a group of several sets it is a merge walk (a heap of the sets),
// bounded by MAX_PAGE_WALK.
const LIST_PAGE = READ_PRELUDE + `
local skip, need, desc = tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5] == 'desc'
local cursor_group, cursor_score, cursor_id = tonumber(ARGV[6]), ARGV[7], ARGV[8]
local groups, i = {}, 10
for g = 1, tonumber(ARGV[9]) do
  local sets = {}
  for s = 1, tonumber(ARGV[i]) do
    sets[s] = { key = ARGV[i + 1], min = ARGV[i + 2], max = ARGV[i + 3] }
    i = i + 3
  end
  i = i + 1
  groups[g] = sets
end

local total, counts = 0, {}
for g, sets in ipairs(groups) do
  counts[g] = 0
  for _, set in ipairs(sets) do
    set.count = redis.call('ZCOUNT', set.key, set.min, set.max)
    counts[g] = counts[g] + set.count
  end
  total = total + counts[g]
end

-- Contact ids compare byte by byte: Lua's own < follows the server's locale.
local function id_before (a, b)
  for k = 1, math.min(#a, #b) do
    local x, y = string.byte(a, k), string.byte(b, k)
    if x ~= y then return x < y end
  end
  return #a < #b
end

-- Entries are {id, score, score as Redis wrote it}.
local function before (a, b)
  if a[2] ~= b[2] then
    if desc then return a[2] > b[2] end
    return a[2] < b[2]
  end
  if desc then return id_before(b[1], a[1]) end
  return id_before(a[1], b[1])
end

-- The ascending rank where the entries after (score, id) begin: those of lower scores, plus
-- those at that score whose id sorts before id (or is id, with at_too).
local function rank_after (key, score, id, at_too)
  local below = redis.call('ZCOUNT', key, '-inf', '(' .. score)
  local ties = redis.call('ZCOUNT', key, score, score)
  local low, high = 0, ties
  while low < high do
    local middle = math.floor((low + high) / 2)
    local member = redis.call('ZRANGE', key, below + middle, below + middle)[1]
    if id_before(member, id) or (at_too and member == id) then low = middle + 1 else high = middle end
  end
  return below + low
end

-- A set's entries within its range, as ascending ranks [low, high), past the cursor if any.
local CHUNK = 200
local function reader (set, after, direct_skip, first_chunk)
  if set.count == 0 then return { low = 0, high = 0, buffer = {}, pos = 1 } end
  local low = 0
  if set.min ~= '-inf' then
    if string.sub(set.min, 1, 1) == '(' then
      low = redis.call('ZCOUNT', set.key, '-inf', string.sub(set.min, 2))
    else
      low = redis.call('ZCOUNT', set.key, '-inf', '(' .. set.min)
    end
  end
  local high = low + set.count
  if after then
    if desc then high = math.min(high, rank_after(set.key, cursor_score, cursor_id, false))
    else low = math.max(low, rank_after(set.key, cursor_score, cursor_id, true)) end
  end
  if desc then high = math.max(low, high - direct_skip) else low = math.min(high, low + direct_skip) end
  return { key = set.key, low = low, high = high, size = first_chunk, buffer = {}, pos = 1 }
end

-- The reader's next entry in the group's order, reading a chunk when its buffer is spent;
-- chunks double up to CHUNK, so a set that holds few of the page costs little.
local function head (r)
  if r.pos <= #r.buffer then return r.buffer[r.pos] end
  if r.low >= r.high then return nil end
  local buffer = {}
  if desc then
    local from = math.max(r.low, r.high - r.size)
    local rows = redis.call('ZRANGE', r.key, from, r.high - 1, 'WITHSCORES')
    r.high = from
    for k = #rows - 1, 1, -2 do buffer[#buffer + 1] = { rows[k], tonumber(rows[k + 1]), rows[k + 1] } end
  else
    local to = math.min(r.high, r.low + r.size)
    local rows = redis.call('ZRANGE', r.key, r.low, to - 1, 'WITHSCORES')
    r.low = to
    for k = 1, #rows, 2 do buffer[#buffer + 1] = { rows[k], tonumber(rows[k + 1]), rows[k + 1] } end
  end
  r.buffer, r.pos, r.size = buffer, 1, math.min(CHUNK, r.size * 2)
  return buffer[1]
end

-- A heap of readers by their next entry: each entry of the merge costs O(log sets).
local function sift_down (heap, k)
  local n = #heap
  while true do
    local left, right, first = 2 * k, 2 * k + 1, k
    if left <= n and before(heap[left].top, heap[first].top) then first = left end
    if right <= n and before(heap[right].top, heap[first].top) then first = right end
    if first == k then return end
    heap[k], heap[first] = heap[first], heap[k]
    k = first
  end
end

local page = { total, redis.call('ZCARD', EXPIRY) - redis.call('HLEN', META) }
for g, sets in ipairs(groups) do
  if need == 0 then break end
  if g < cursor_group then
    -- before the cursor: already seen
  elseif cursor_group == 0 and skip >= counts[g] then
    skip = skip - counts[g]
  else
    local after = g == cursor_group
    -- One set is skipped into by rank; several are merged, and a merge walk is bounded.
    local direct = #sets == 1 and skip or 0
    skip = skip - direct
    if skip > ${MAX_PAGE_WALK} then return { -1 } end
    local first_chunk = math.max(8, math.min(CHUNK, math.ceil((skip + need) / #sets)))
    local heap = {}
    for _, set in ipairs(sets) do
      local r = reader(set, after, direct, first_chunk)
      r.top = head(r)
      if r.top then heap[#heap + 1] = r end
    end
    for k = math.floor(#heap / 2), 1, -1 do sift_down(heap, k) end
    while need > 0 and #heap > 0 do
      local r = heap[1]
      local best = r.top
      r.pos = r.pos + 1
      r.top = head(r)
      if not r.top then
        heap[1] = heap[#heap]
        heap[#heap] = nil
      end
      if #heap > 0 then sift_down(heap, 1) end
      if skip > 0 then
        skip = skip - 1
      else
        page[#page + 1] = best[1]
        page[#page + 1] = best[3]
        page[#page + 1] = g
        need = need - 1
      end
    end
  end
end
return page
`

// KEYS: active index, index meta, started index, change stream. ARGV: activity prefix, location prefix, the
// prefix of the slots to count (all, or one location's), the stalled bound (max score of a
// stalled last activity), then slot names. Returns per slot its size and, for unqualified
// slots, how many are stalled; then the unindexed count as in LIST_PAGE.
const COUNT_SLOTS = READ_PRELUDE + `
local counts = {}
for i = 5, #ARGV do
  local key = ARGV[3] .. ARGV[i]
  counts[#counts + 1] = redis.call('ZCARD', key)
  if string.sub(ARGV[i], -1) == 'u' then
    counts[#counts + 1] = redis.call('ZCOUNT', key, '-inf', ARGV[4])
  else
    counts[#counts + 1] = 0
  end
end
counts[#counts + 1] = redis.call('ZCARD', EXPIRY) - redis.call('HLEN', META)
return counts
`

declare module 'ioredis' {
  interface RedisCommander<Context> {
    writeState(stateKey: string, indexKey: string, idempotencyKey: string, metaKey: string, startedKey: string, eventsKey: string, ...args: string[]): Result<string[], Context>
    deleteState(stateKey: string, indexKey: string, idempotencyKey: string, metaKey: string, startedKey: string, eventsKey: string, ...args: string[]): Result<string[], Context>
    migrateLegacyBegin(indexKey: string, migrationKey: string, lockKey: string, holder: string, lockTtlMs: string): Result<number, Context>
    migrateLegacyChunk(numberOfKeys: number, ...keysThenIds: string[]): Result<number, Context>
    removeGhosts(numberOfKeys: number, ...keysThenArgs: string[]): Result<number, Context>
    reindexState(stateKey: string, indexKey: string, metaKey: string, startedKey: string, ...args: string[]): Result<number, Context>
    listPage(indexKey: string, metaKey: string, startedKey: string, eventsKey: string, ...args: string[]): Result<string[], Context>
    countSlots(indexKey: string, metaKey: string, startedKey: string, eventsKey: string, ...args: string[]): Result<number[], Context>
    reapExpired(indexKey: string, metaKey: string, startedKey: string, eventsKey: string, ...args: string[]): Result<number, Context>
  }
}

export function defineScripts (redis: Redis): void {
  redis.defineCommand('writeState', { numberOfKeys: 6, lua: WRITE_STATE })
  redis.defineCommand('deleteState', { numberOfKeys: 6, lua: DELETE_STATE })
  redis.defineCommand('reindexState', { numberOfKeys: 4, lua: REINDEX_STATE })
  redis.defineCommand('listPage', { numberOfKeys: 4, lua: LIST_PAGE })
  redis.defineCommand('countSlots', { numberOfKeys: 4, lua: COUNT_SLOTS })
  redis.defineCommand('reapExpired', { numberOfKeys: 4, lua: REAP_EXPIRED })
  // Variable key counts: the caller passes the number of keys first.
  redis.defineCommand('migrateLegacyBegin', { numberOfKeys: 3, lua: MIGRATE_LEGACY_BEGIN })
  redis.defineCommand('migrateLegacyChunk', { lua: MIGRATE_LEGACY_CHUNK })
  redis.defineCommand('removeGhosts', { lua: REMOVE_GHOSTS })
}
