--[[
  Writes one contact's state and its place in the listing indexes, in one step, after the checks
  every write makes (write-checks.lua). Nothing is written when the contact is in a place other
  than the two the caller named (where it believes it is, where it goes): the answer
  {'moved', place} makes it ask again with that place's keys.

  KEYS[1]  state          the contact's hash
  KEYS[2]  expiry         the bucket's active index
  KEYS[3]  record         the Idempotency-Key's record (any key of the contact's when none)
  KEYS[4]  meta           the bucket's index meta
  KEYS[5]  started        the bucket's started index
  KEYS[6]  events         the bucket's change stream
  KEYS[7]  activity       the slot set the state goes to
  KEYS[8]  location       the location's slot set it goes to
  KEYS[9]  was_activity   the slot set the caller believes it is in (KEYS[7] when nowhere)
  KEYS[10] was_location   the same at its location (KEYS[8] when nowhere)
  ARGV[1]  deadline, ms on Redis's clock
  ARGV[2]  contact id
  ARGV[3]  document
  ARGV[4]  entity tag
  ARGV[5]  TTL, ms
  ARGV[6]  envelope version
  ARGV[7]  place: `<slot>|<location>`
  ARGV[8]  the place the caller believes it has now ('' for none)
  ARGV[9]  last activity, ms ('' for the time of the write)
  ARGV[10] conversation started, ms
  ARGV[11] the change event's row source (row-source.ts)
  ARGV[12] change stream length kept
  ARGV[13] change stream age kept, ms
  ARGV[14...] the request (write-checks.lua)
  Returns {'created'|'replaced', written ms, expires ms}, {'moved', place}, or a refusal.
]]
--- @include "includes/now-ms"
--- @include "includes/change-stream"
--- @include "includes/listing-index"
--- @include "includes/write-checks"

local state, id = KEYS[1], ARGV[2]
local request = write_request(14)
local found = state_kind(state)
local refused = write_refusal(ARGV[1], state, found, KEYS[2], KEYS[3], request)
if refused then return refused end
local actual, elsewhere = current_place(KEYS[4], id, ARGV[8], ARGV[7])
if elsewhere then return elsewhere end

-- A value that is not ours (a prototype pickle, a hand-made hash) is replaced whole.
if found.exists and not found.ours then redis.call('DEL', state) end
local now = string.format('%d', now_ms())
local ttl = tonumber(ARGV[5])
local expires = string.format('%d', tonumber(now) + ttl)
redis.call('HSET', state, 'doc', ARGV[3], 'etag', ARGV[4], 'at', now, 'exp', expires, 'v', ARGV[6])
redis.call('PEXPIRE', state, ttl)

local idx = { expiry = KEYS[2], meta = KEYS[4], started = KEYS[5] }
local place = { meta = ARGV[7], activity = KEYS[7], location = KEYS[8] }
local was = nil
if actual == place.meta then was = place
elseif actual then was = { meta = actual, activity = KEYS[9], location = KEYS[10] } end
-- Where the contact was, so that a filtered feed can tell it left.
local was_activity = was and redis.call('ZSCORE', was.activity, id) or ''
local last_activity = ARGV[9] ~= '' and ARGV[9] or now
index(idx, id, place, was, last_activity, ARGV[10], expires)
local emit = change_stream(KEYS[6], ARGV[12], ARGV[13])
emit({'k', was and 'updated' or 'created', 'id', id, 'm', place.meta, 'a', last_activity,
  'r', ARGV[11], 'at', now, 'exp', expires, 'pm', was and was.meta or '', 'pa', was_activity})
remember(KEYS[3], request, found.exists and '200' or '201', ARGV[4])
return {found.exists and 'replaced' or 'created', now, expires}
