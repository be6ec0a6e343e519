--[[
  A page of a listing plan (listing-plan.ts) in one bucket: the plan's groups one after the
  other, each a merge of its sorted sets by score then contact id, from the offset or past the
  cursor. Reads only: the caller has taken the expired contacts out just before.

  Its cost is bounded whatever the depth and however many entries share a score: each set is
  read by rank, from where the page starts. A set's position past a cursor is found by counting
  (ZCOUNT) and, among the entries that share the cursor's score, by a binary search on the contact
  id (Redis orders equal scores by member, byte by byte: the listing's tie-break), so a cursor
  costs O(log N) per set. An offset into a group of one set is a rank; into a group of several
  sets it is a merge walk (a heap of the sets), bounded by ARGV[7].

  KEYS[1]  expiry   the bucket's active index
  KEYS[2]  meta     the bucket's index meta
  then the plan's sorted sets, group after group
  ARGV[1]  offset
  ARGV[2]  limit
  ARGV[3]  order within a group: 'desc' or 'asc'
  ARGV[4]  the cursor's group (0: no cursor)
  ARGV[5]  the cursor's score, as Redis wrote it
  ARGV[6]  the cursor's contact id
  ARGV[7]  the longest merge walk an offset may take
  ARGV[8]  the number of groups
  then per group: the number of its sets, then per set its min and max score
  Returns {total, unindexed, id, score, group, ...}; unindexed counts the active contacts the
  indexes do not hold (values that are not a state of ours); {-1} when the offset walks further
  than ARGV[7] into a group of several sets.
]]
local skip, need, desc = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3] == 'desc'
local cursor_group, cursor_score, cursor_id = tonumber(ARGV[4]), ARGV[5], ARGV[6]
local max_walk = tonumber(ARGV[7])
local groups, i, k = {}, 9, 3
for g = 1, tonumber(ARGV[8]) do
  local sets = {}
  for s = 1, tonumber(ARGV[i]) do
    sets[s] = { key = KEYS[k], min = ARGV[i + 1], max = ARGV[i + 2] }
    i = i + 2
    k = k + 1
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

local page = { total, redis.call('ZCARD', KEYS[1]) - redis.call('HLEN', KEYS[2]) }
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
    if skip > max_walk then return { -1 } end
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
