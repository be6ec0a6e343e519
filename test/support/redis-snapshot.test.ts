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
  const { redis, keys } = await build(t, { SWEEP_INTERVAL_SECONDS: '0' })
  const snapshot = async (): Promise<KeySnapshot> => await snapshotKeys(redis, keys.prefix)
  const name = (key: string): string => key.slice(keys.prefix.length)
  const victim = keys.of('victim').state('victim')
  const victim2 = keys.of('victim-2').state('victim-2')
  const index = keys.of('attacker').activeIndex
  const record = keys.of('attacker').idempotency('attacker', 'k')
  await redis.set(victim, 'v')
  await redis.hset(victim2, 'doc', '{}', 'at', '1')
  await redis.zadd(index, 1, 'victim', 2, 'attacker')
  await redis.expire(victim, 100)
  const before = await snapshot()
  t.same(keyChanges(before, await snapshot(), keys), [], 'nothing done, nothing seen')
  await redis.zadd(index, 5, 'attacker')
  await redis.set(record, 'r')
  t.same(keyChanges(before, await snapshot(), keys, 'attacker'), [], 'the owner\'s own entries and records may change')
  t.same(keyChanges(before, await snapshot(), keys), [`${name(index)}: changed`, `${name(record)}: created`], 'without an owner, they count')
  await redis.zadd(index, 9, 'victim')
  await redis.expire(victim, 1000)
  const found = keyChanges(before, await snapshot(), keys, 'attacker')
  t.equal(found.length, 2, found.join('; '))
  const literally = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  t.match(found, [`${name(index)}: changed`, new RegExp(`^${literally(name(victim))}: TTL changed from \\d+ to \\d+ ms$`)], 'another contact\'s entry or TTL')
  await redis.hset(victim2, 'doc', '{"hacked":true}')
  t.same(keyChanges(before, await snapshot(), keys, 'doc').filter((line) => line.startsWith(name(victim2))), [`${name(victim2)}: changed`],
    'another contact\'s state is compared whole, even for an attacker named like one of its fields')
})
