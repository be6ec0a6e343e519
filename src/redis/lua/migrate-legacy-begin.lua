--[[
  Begins or resumes the migration of the Python prototype's plain SET of active contacts: moves it
  aside (a rename: one step, whatever its size) into the migration set, then takes the lock that
  makes one replica migrate it. Single node only: the prototype never ran on a cluster.

  KEYS[1]  legacy      the prototype's SET (the active index's name)
  KEYS[2]  migration   where it is moved aside
  KEYS[3]  lock        the migration's lock
  ARGV[1]  lock holder
  ARGV[2]  lock TTL, ms
  Returns the number of members to migrate, or -1 when there is nothing to do or another replica
  holds the lock.
]]
if redis.call('TYPE', KEYS[1])['ok'] == 'set' then
  if redis.call('EXISTS', KEYS[2]) == 1 then
    redis.call('SUNIONSTORE', KEYS[2], KEYS[2], KEYS[1])
    redis.call('DEL', KEYS[1])
  else
    redis.call('RENAME', KEYS[1], KEYS[2])
  end
end
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
if not redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[2], 'NX') then return -1 end
return redis.call('SCARD', KEYS[2])
