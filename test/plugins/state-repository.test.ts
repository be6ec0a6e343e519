/**
 * What the repository finds in Redis that it did not write: values that are not our state, and
 * the Python prototype's plain SET index, at start-up and at run time.
 */
import t from 'tap'
import { botState, build, eventually, privateRedis } from '../helper.js'
import { buildApp } from '../../src/app.js'

const JSON_HEADERS = { 'content-type': 'application/json' }

t.test('a value that is not ours gives 500 STATE_UNREADABLE for that contact only, and a PUT repairs it', async (t) => {
  const { app, redis, config } = await build(t)
  const index = `${config.keyPrefix}active_contacts`
  await app.inject({ method: 'PUT', url: '/seller/state/good', headers: JSON_HEADERS, payload: JSON.stringify(botState({ contact_id: 'good' })) })
  // What the prototype left: a pickle under the state key, the contact in the index.
  await redis.set(`${config.keyPrefix}state:pickled`, '\x80\x04\x95pickle')
  await redis.zadd(index, Date.now() + 60_000, 'pickled')
  // A hand edit that kept the hash but dropped fields.
  await redis.hset(`${config.keyPrefix}state:edited`, 'doc', '{"location_id": "x"}')
  await redis.zadd(index, Date.now() + 60_000, 'edited')

  // A hand edit that left valid JSON that is not a state document.
  await redis.hset(`${config.keyPrefix}state:emptied`, 'doc', '{}', 'etag', 'x', 'at', String(Date.now()), 'v', '1')
  await redis.zadd(index, Date.now() + 60_000, 'emptied')

  for (const id of ['pickled', 'edited']) {
    const res = await app.inject({ url: `/seller/state/${id}` })
    t.equal(res.statusCode, 500, id)
    t.same(res.json(), {
      statusCode: 500,
      error: 'Internal Server Error',
      code: 'STATE_UNREADABLE',
      message: `The stored state of contact ${id} is not readable; a PUT replaces it`
    })
  }
  t.equal((await app.inject({ url: '/seller/state/good' })).statusCode, 200, 'other contacts are unaffected')
  const listing = (await app.inject({ url: '/seller/active' })).json()
  t.same(listing.conversations.map((c: { contact_id: string }) => c.contact_id), ['good'])
  t.equal(listing.skipped_unreadable, 3)
  const summary = (await app.inject({ url: '/seller/active/summary' })).json()
  t.equal(summary.total, 1)
  t.equal(summary.skipped_unreadable, 3)

  const guarded = await app.inject({ method: 'PUT', url: '/seller/state/pickled', headers: { ...JSON_HEADERS, 'if-match': '"whatever"' }, payload: JSON.stringify(botState({ contact_id: 'pickled' })) })
  t.equal(guarded.statusCode, 412, 'an unreadable value has no ETag to match')
  const repaired = await app.inject({ method: 'PUT', url: '/seller/state/pickled', headers: JSON_HEADERS, payload: JSON.stringify(botState({ contact_id: 'pickled' })) })
  t.equal(repaired.statusCode, 200, 'a PUT replaces it')
  t.equal((await app.inject({ url: '/seller/state/pickled' })).statusCode, 200)
  t.equal((await app.inject({ url: '/seller/active' })).json().skipped_unreadable, 2)
  t.equal((await app.inject({ method: 'DELETE', url: '/seller/state/edited' })).statusCode, 204, 'a DELETE removes one')
  t.equal(await redis.exists(`${config.keyPrefix}state:edited`), 0)
})

t.test('the prototype\'s SET is migrated at start-up, once, with scores from each key\'s TTL', async (t) => {
  // A first app only to learn the key prefix and reach Redis; the prototype's data goes in after.
  const { redis, config } = await build(t)
  const index = `${config.keyPrefix}active_contacts`
  await redis.del(index)
  await redis.set(`${config.keyPrefix}state:with-ttl`, 'pickle', 'PX', 3_600_000)
  await redis.set(`${config.keyPrefix}state:no-ttl`, 'pickle')
  await redis.sadd(index, 'with-ttl', 'no-ttl', 'gone')

  // Two replicas starting together: the script runs atomically, so only one of them migrates.
  const logs: string[] = []
  const logger = { level: 'info', stream: { write: (line: string) => { logs.push(line) } } }
  const replicas = await Promise.all([buildApp(config, { logger }), buildApp(config, { logger })])
  t.teardown(() => Promise.all(replicas.map(async (app) => await app.close())))
  await Promise.all(replicas.map(async (app) => await app.ready()))

  t.equal(await redis.type(index), 'zset')
  const scores = Object.fromEntries((await redis.zrange(index, '0', '-1', 'WITHSCORES'))
    .flatMap((value, i, all) => i % 2 === 0 ? [[value, all[i + 1]]] : []))
  t.same(Object.keys(scores).sort(), ['no-ttl', 'with-ttl'], 'a member whose state is gone is dropped')
  t.equal(scores['no-ttl'], 'inf', 'a state without a TTL stays listed while it exists')
  t.ok(Math.abs(Number(scores['with-ttl']) - (Date.now() + 3_600_000)) < 5000, 'scored by the remaining TTL')
  const migrations = logs.map((line) => JSON.parse(line)).filter((entry) => /^Migrated/.test(entry.msg))
  t.equal(migrations.length, 1, 'one replica migrated, the other found the index already ours')
  t.match(migrations[0], { found: 3, moved: 2 }, 'the log says how many it moved')
})

t.test('a SET that appears while Redis was away is migrated when the connection comes back', async (t) => {
  const server = await privateRedis(t)
  const { redis, config } = await build(t, { REDIS_URL: server.url })
  const index = `${config.keyPrefix}active_contacts`
  await server.stop()
  await server.start()
  // The prototype wrote its SET into the fresh server before the service reconnected.
  await redis.set(`${config.keyPrefix}state:legacy`, 'pickle', 'PX', 3_600_000)
  await redis.sadd(index, 'legacy')
  t.ok(await eventually(async () => await redis.type(index) === 'zset', 5000), 'migrated without any request')
  t.same(await redis.zrange(index, '0', '-1'), ['legacy'])
})

t.test('a SET recreated at run time is migrated by the next write, and nothing is lost', async (t) => {
  const { app, redis, config } = await build(t)
  const index = `${config.keyPrefix}active_contacts`
  await redis.del(index)
  await redis.set(`${config.keyPrefix}state:legacy`, 'pickle', 'PX', 3_600_000)
  await redis.sadd(index, 'legacy')

  const res = await app.inject({ method: 'PUT', url: '/seller/state/fresh', headers: JSON_HEADERS, payload: JSON.stringify(botState({ contact_id: 'fresh' })) })
  t.equal(res.statusCode, 201)
  t.equal(await redis.type(index), 'zset')
  t.same((await redis.zrange(index, '0', '-1')).sort(), ['fresh', 'legacy'])

  await redis.del(index)
  await redis.sadd(index, 'legacy')
  const listing = await app.inject({ url: '/seller/active' })
  t.equal(listing.statusCode, 200, 'a listing migrates it too')
  t.equal(await redis.type(index), 'zset')
  // Deleting the index lost fresh's entry in it: drift, which the sweep repairs; the pickle is
  // counted, for the migration tool.
  t.same(await app.indexMaintenance.sweep(), { expired: 0, ghosts: 0, orphans: 1, prototypeStates: 1 })
  const repaired = (await app.inject({ url: '/seller/active' })).json()
  t.same(repaired.conversations.map((c: { contact_id: string }) => c.contact_id), ['fresh'])
  t.equal(repaired.skipped_unreadable, 1, 'the legacy pickle is reported, not shown')

  await redis.del(index)
  await redis.sadd(index, 'legacy')
  t.equal((await app.inject({ method: 'DELETE', url: '/seller/state/legacy' })).statusCode, 204)
  t.equal(await redis.type(index), 'none', 'migrated, then emptied by the delete of its only member')
  t.equal(await redis.exists(`${config.keyPrefix}state:legacy`), 0)
})

t.test('a prototype SET of 100,000 members is migrated in chunks, without blocking or crashing', async (t) => {
  const { app, redis, config } = await build(t)
  const index = `${config.keyPrefix}active_contacts`
  for (let start = 0; start < 100_000; start += 10_000) {
    await redis.sadd(index, ...Array.from({ length: 10_000 }, (_, i) => `p${start + i}`))
  }
  // Most of the prototype's members are ghosts; a thousand still have a state.
  const pipeline = redis.pipeline()
  for (let i = 0; i < 1000; i++) pipeline.set(`${config.keyPrefix}state:p${i * 100}`, 'pickle', 'PX', 3_600_000)
  await pipeline.exec()

  const listing = await app.inject({ url: '/seller/active' })
  t.equal(listing.statusCode, 200, 'the first listing migrates it')
  t.equal(listing.json().skipped_unreadable, 1000, 'the thousand pickles are reported, not shown')
  t.equal(await redis.type(index), 'zset')
  t.equal(await redis.zcard(index), 1000, 'the ghosts of the SET are dropped')
  t.equal(await redis.exists(`${config.keyPrefix}migrating:active_contacts`), 0, 'nothing left aside')
})
