--[[
  Indexes a chunk of the prototype's contacts by their state's remaining TTL (an infinite score
  for a state without one; none for a state that is gone) and takes them out of the migration set.

  KEYS[1]  migration   the migration set
  KEYS[2]  expiry      the active index
  then per contact: its state
  ARGV     the contact ids, in the order of their state keys
  Returns how many it indexed.
]]
--- @include "includes/now-ms"

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
