--[[
  One poll of a bucket's change stream (polling-feed-reader.ts): Redis's clock and the entries
  after a position, read in one step, so that every entry this master adds afterwards has an id
  at or past that clock. Reads only.

  KEYS[1]  events  the bucket's change stream
  ARGV[1]  start   XRANGE's start of the entries to read ('(' exclusive)
  ARGV[2]  count   entries read at most (0: the clock only)
  Returns {clock ms, entries}: the entries as XRANGE gives them, {id, {field, value, ...}} each.
]]
--- @include "includes/now-ms"

local count = tonumber(ARGV[2])
local entries = count > 0 and redis.call('XRANGE', KEYS[1], ARGV[1], '+', 'COUNT', count) or {}
return {now_ms(), entries}
