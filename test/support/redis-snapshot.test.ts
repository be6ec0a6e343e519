/**
 * The self-test of redis-snapshot.ts: the tests that prove a request left no trace in Redis are
 * only as good as the comparison they rely on, so it must see every kind of change, and leave
 * out exactly what belongs to the owner it is given.
 */
import t from 'tap'
import { build } from '../helper.js'
import { keyChanges, snapshotKeys, type KeySnapshot } from './redis-snapshot.js'

t.test('the Redis comparison sees every kind of change (the oracle of the tests that use it)', async (t) => {
  // No background sweep: nothing but this test may change Redis.
  const { redis, config: { keyPrefix: prefix } } = await build(t, { SWEEP_INTERVAL_SECONDS: '0' })
  const snapshot = async (): Promise<KeySnapshot> => await snapshotKeys(redis, prefix)
  await redis.set(`${prefix}state:victim`, 'v')
  await redis.hset(`${prefix}state:victim-2`, 'doc', '{}', 'at', '1')
  await redis.zadd(`${prefix}active_contacts`, 1, 'victim', 2, 'attacker')
  await redis.expire(`${prefix}state:victim`, 100)
  const before = await snapshot()
  t.same(keyChanges(before, await snapshot(), prefix), [], 'nothing done, nothing seen')
  await redis.zadd(`${prefix}active_contacts`, 5, 'attacker')
  await redis.set(`${prefix}idempotency:attacker:k`, 'r')
  t.same(keyChanges(before, await snapshot(), prefix, 'attacker'), [], 'the owner\'s own entries and records may change')
  t.same(keyChanges(before, await snapshot(), prefix), ['active_contacts: changed', 'idempotency:attacker:k: created'], 'without an owner, they count')
  await redis.zadd(`${prefix}active_contacts`, 9, 'victim')
  await redis.expire(`${prefix}state:victim`, 1000)
  const found = keyChanges(before, await snapshot(), prefix, 'attacker')
  t.equal(found.length, 2, found.join('; '))
  t.match(found, ['active_contacts: changed', /^state:victim: TTL changed from \d+ to \d+ ms$/], 'another contact\'s entry or TTL')
  await redis.hset(`${prefix}state:victim-2`, 'doc', '{"hacked":true}')
  t.same(keyChanges(before, await snapshot(), prefix, 'doc').filter((line) => line.startsWith('state:victim-2')), ['state:victim-2: changed'],
    'another contact\'s state is compared whole, even for an attacker named like one of its fields')
})
