--[[
  The sizes of a bucket's slot sets, for the summary (globally or for one location).

  KEYS[1]  expiry   the bucket's active index
  KEYS[2]  meta     the bucket's index meta
  then the slot sets to count
  ARGV[1]  the stalled bound: the highest score of a stalled last activity ('(' exclusive)
  then per slot set: '1' when its contacts are unqualified (they may be stalled), else '0'
  Returns per slot set its size and how many are stalled, then the unindexed count: active
  contacts the indexes do not hold (values that are not a state of ours).
]]
local counts = {}
for i = 3, #KEYS do
  counts[#counts + 1] = redis.call('ZCARD', KEYS[i])
  counts[#counts + 1] = ARGV[i - 1] == '1' and redis.call('ZCOUNT', KEYS[i], '-inf', ARGV[1]) or 0
end
counts[#counts + 1] = redis.call('ZCARD', KEYS[1]) - redis.call('HLEN', KEYS[2])
return counts
