--[[
  Deletes one contact's state and takes it out of the listing indexes, in one step, after the
  checks every write makes (write-checks.lua). Nothing is written when the contact's place is not
  the one the caller named: {'moved', place} makes it ask again with that place's keys.

  KEYS[1]  state          the contact's hash
  KEYS[2]  expiry         the bucket's active index
  KEYS[3]  record         the Idempotency-Key's record (any key of the contact's when none)
  KEYS[4]  meta           the bucket's index meta
  KEYS[5]  started        the bucket's started index
  KEYS[6]  events         the bucket's change stream
  KEYS[7]  was_activity   the slot set the caller believes it is in (any key of the bucket when nowhere)
  KEYS[8]  was_location   the same at its location
  ARGV[1]  deadline, ms on Redis's clock
  ARGV[2]  contact id
  ARGV[3]  the place the caller believes it has ('' for none)
  ARGV[4]  change stream length kept
  ARGV[5]  change stream age kept, ms
  ARGV[6...] the request (write-checks.lua)
  Returns {'deleted'} or {'absent'}, {'moved', place}, or a refusal.
]]
--- @include "includes/now-ms"
--- @include "includes/change-stream"
--- @include "includes/listing-index"
--- @include "includes/write-checks"

local state, id = KEYS[1], ARGV[2]
local request = write_request(6)
local found = state_kind(state)
local refused = write_refusal(ARGV[1], state, found, KEYS[2], KEYS[3], request)
if refused then return refused end
local actual, elsewhere = current_place(KEYS[4], id, ARGV[3], ARGV[3])
if elsewhere then return elsewhere end

local idx = { expiry = KEYS[2], meta = KEYS[4], started = KEYS[5] }
local place = actual and { meta = actual, activity = KEYS[7], location = KEYS[8] } or nil
unindex(idx, change_stream(KEYS[6], ARGV[4], ARGV[5]), id, place, 'deleted')
if found.exists then redis.call('DEL', state) end
remember(KEYS[3], request, '204', '')
return {found.exists and 'deleted' or 'absent'}
