-- What every write checks before it writes anything: its deadline (write-deadline.ts), that the
-- index is ours, the Idempotency-Key (a replay answers without writing) and the HTTP
-- preconditions. The request's part of ARGV, from `first` on: require-precondition flag
-- ('1'/'0'), idempotency fingerprint ('' for none), record TTL ms, '*' for If-None-Match: * (else
-- ''), the If-Match mode ('none', 'any' for *, 'tags') and, for 'tags', every accepted entity tag,
-- one per ARGV.

local function write_request (first)
  local tags = {}
  for i = first + 5, #ARGV do tags[#tags + 1] = ARGV[i] end
  return {
    require = ARGV[first] == '1', fingerprint = ARGV[first + 1], record_ttl = ARGV[first + 2],
    if_none_match = ARGV[first + 3], if_match = ARGV[first + 4], tags = tags
  }
end

-- The state as the checks found it: exists, and ours (a hash with a layout version; anything else
-- there is a value not ours, as a prototype pickle).
local function state_kind (state)
  local kind = redis.call('TYPE', state)['ok']
  return { exists = kind ~= 'none', ours = kind == 'hash' and redis.call('HEXISTS', state, 'v') == 1 }
end

-- A repeated Idempotency-Key: the first response, and nothing changes. A record keeps no copy of
-- the document (its memory must not grow with the document's size): the body is the state's if it
-- still has the recorded ETag, else '' (a record of an earlier version may hold a body).
local function replay (state, found, record, request)
  if request.fingerprint == '' then return nil end
  local remembered = redis.call('HMGET', record, 'fp', 'status', 'etag', 'body')
  if not remembered[1] then return nil end
  if remembered[1] ~= request.fingerprint then return {'idempotency_mismatch'} end
  local body = remembered[4] or ''
  if body == '' and found.ours and remembered[3] ~= '' then
    local current = redis.call('HMGET', state, 'etag', 'doc')
    if current[1] == remembered[3] then body = current[2] end
  end
  return {'replay', remembered[2], remembered[3], body}
end

-- nil when the preconditions hold, else why not: required, exists, absent or stale.
local function precondition_failure (state, found, request)
  if request.require and found.exists and request.if_match == 'none' and request.if_none_match == '' then return 'required' end
  if request.if_none_match == '*' and found.exists then return 'exists' end
  if request.if_match == 'none' then return nil end
  if not found.exists then return 'absent' end
  if request.if_match == 'any' then return nil end
  if found.ours then
    local current = redis.call('HGET', state, 'etag')
    for _, tag in ipairs(request.tags) do
      if tag == current then return nil end
    end
  end
  return 'stale'
end

-- What a write answers without writing, or nil to go on.
local function write_refusal (deadline, state, found, index, record, request)
  -- The client has given up on this write by now: doing it would contradict its 503.
  if now_ms() > tonumber(deadline) then return {'deadline_passed'} end
  -- The index must be ours (not the prototype's SET) before anything is written.
  local index_kind = redis.call('TYPE', index)['ok']
  if index_kind ~= 'zset' and index_kind ~= 'none' then return {'index_not_ours', index_kind} end
  local replayed = replay(state, found, record, request)
  if replayed then return replayed end
  local failure = precondition_failure(state, found, request)
  if failure then return {'precondition_failed', failure} end
  return nil
end

local function remember (record, request, status, etag)
  if request.fingerprint == '' then return end
  redis.call('HSET', record, 'fp', request.fingerprint, 'status', status, 'etag', etag)
  redis.call('PEXPIRE', record, request.record_ttl)
end

-- The contact's place in the indexes now (nil for none), and nil; or nil and the refusal that
-- makes the caller ask again with that place's keys. The caller gave the keys of the place it
-- believes the contact has, and of the place it goes to: any other place is one it cannot leave.
local function current_place (meta, id, believed, target)
  local actual = redis.call('HGET', meta, id)
  if actual and actual ~= believed and actual ~= target then return nil, {'moved', actual} end
  return actual, nil
end
