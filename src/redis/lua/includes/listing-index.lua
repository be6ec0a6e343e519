-- The listing indexes of a bucket (keys.ts): a contact sits in the sorted set of its slot and in
-- that of its slot at its location (both scored by last activity), in the started index and in
-- the expiry index; the meta hash remembers its place, `<slot>|<location>`, so that a caller can
-- name those sets when it moves or leaves. `idx` holds the bucket's keys {expiry, meta, started};
-- a place is {meta, activity, location}: the meta value and the keys of its two sets.

-- Takes a contact out of the indexes; `place` is where the meta says it is (nil: no meta).
-- kind: 'deleted' or 'expired', the change event it makes.
local function unindex (idx, emit, id, place, kind)
  if place then
    emit({'k', kind, 'id', id, 'm', place.meta, 'a', redis.call('ZSCORE', place.activity, id) or ''})
    redis.call('ZREM', place.activity, id)
    redis.call('ZREM', place.location, id)
    redis.call('HDEL', idx.meta, id)
  end
  redis.call('ZREM', idx.started, id)
  redis.call('ZREM', idx.expiry, id)
end

-- Puts a contact at `place`, out of `was` (its place now, or nil).
local function index (idx, id, place, was, last_activity, started, expires)
  if was and was.meta ~= place.meta then
    redis.call('ZREM', was.activity, id)
    redis.call('ZREM', was.location, id)
  end
  redis.call('ZADD', place.activity, last_activity, id)
  redis.call('ZADD', place.location, last_activity, id)
  redis.call('ZADD', idx.started, started, id)
  redis.call('ZADD', idx.expiry, expires, id)
  redis.call('HSET', idx.meta, id, place.meta)
end
