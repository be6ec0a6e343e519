-- An appender to a bucket's change stream (change-stream.ts): trimmed by length on every entry
-- and, once per script, by age (stream ids are Redis's ms clock).
local function change_stream (key, max_length, max_age_ms)
  local aged_out = false
  return function (fields)
    redis.call('XADD', key, 'MAXLEN', '~', max_length, '*', unpack(fields))
    if aged_out then return end
    aged_out = true
    local t = redis.call('TIME')
    redis.call('XTRIM', key, 'MINID', '~', string.format('%d', tonumber(t[1]) * 1000 - tonumber(max_age_ms)))
  end
end
