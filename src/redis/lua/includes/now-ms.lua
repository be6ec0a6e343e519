-- Redis's clock in ms: the one every expiry and deadline is measured on.
local function now_ms ()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
