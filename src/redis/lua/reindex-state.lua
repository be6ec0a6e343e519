--[[
  Indexes a state its writer did not (written by an older version, restored, hand-made), unless it
  changed since it was read or its place is no longer the one the caller read.

  KEYS[1]  state          the contact's hash
  KEYS[2]  expiry         the bucket's active index
  KEYS[3]  meta           the bucket's index meta
  KEYS[4]  started        the bucket's started index
  KEYS[5]  activity       the slot set the state goes to
  KEYS[6]  location       the location's slot set it goes to
  KEYS[7]  was_activity   the slot set of the place the caller read (KEYS[5] when none)
  KEYS[8]  was_location   the same at its location (KEYS[6] when none)
  ARGV[1]  contact id
  ARGV[2]  the entity tag the caller read
  ARGV[3]  place: `<slot>|<location>`
  ARGV[4]  the place the caller read ('' for none)
  ARGV[5]  last activity, ms ('' for the time of its write)
  ARGV[6]  conversation started, ms
  Returns 1 when it indexed the state, else 0.
]]
--- @include "includes/now-ms"
--- @include "includes/listing-index"

local state, id = KEYS[1], ARGV[1]
if redis.call('TYPE', state)['ok'] ~= 'hash' or redis.call('HGET', state, 'etag') ~= ARGV[2] then return 0 end
if (redis.call('HGET', KEYS[3], id) or '') ~= ARGV[4] then return 0 end
local pttl = redis.call('PTTL', state)
if pttl == -2 then return 0 end
local expires = pttl == -1 and '+inf' or string.format('%d', now_ms() + pttl)
local last_activity = ARGV[5] ~= '' and ARGV[5] or redis.call('HGET', state, 'at')
local idx = { expiry = KEYS[2], meta = KEYS[3], started = KEYS[4] }
local was = ARGV[4] ~= '' and { meta = ARGV[4], activity = KEYS[7], location = KEYS[8] } or nil
index(idx, id, { meta = ARGV[3], activity = KEYS[5], location = KEYS[6] }, was, last_activity, ARGV[6], expires)
return 1
