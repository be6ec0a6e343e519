--[[
  Takes out of a bucket's indexes the given contacts whose state is gone: expired (the reaping
  before every listing) or deleted behind the service's back (ghosts). Checked here, atomically,
  so a state written meanwhile keeps its entries; a contact whose place is no longer the one the
  caller read is left for the next round.

  KEYS[1]  expiry    the bucket's active index
  KEYS[2]  meta      the bucket's index meta
  KEYS[3]  started   the bucket's started index
  KEYS[4]  events    the bucket's change stream
  then per contact, three keys: its state, and the two slot sets of its place (any keys of the
  bucket when it has none)
  ARGV[1]  change stream length kept
  ARGV[2]  change stream age kept, ms
  then per contact, two values: its id, and its place as the caller read it ('' for none)
  Returns how many contacts it took out.
]]
--- @include "includes/now-ms"
--- @include "includes/change-stream"
--- @include "includes/listing-index"

local idx = { expiry = KEYS[1], meta = KEYS[2], started = KEYS[3] }
local emit = change_stream(KEYS[4], ARGV[1], ARGV[2])
local now, removed = now_ms(), 0
for i = 0, (#ARGV - 2) / 2 - 1 do
  local id, believed = ARGV[3 + 2 * i], ARGV[4 + 2 * i]
  local state = KEYS[5 + 3 * i]
  if redis.call('EXISTS', state) == 0 and (redis.call('HGET', idx.meta, id) or '') == believed then
    local place = believed ~= '' and { meta = believed, activity = KEYS[6 + 3 * i], location = KEYS[7 + 3 * i] } or nil
    local expiry = tonumber(redis.call('ZSCORE', idx.expiry, id))
    unindex(idx, emit, id, place, (expiry and expiry < now) and 'expired' or 'deleted')
    removed = removed + 1
  end
end
return removed
