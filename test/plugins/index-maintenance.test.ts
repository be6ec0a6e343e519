/**
 * The index sweep: removes entries whose state is gone, indexes states that lost their entry,
 * reports the drift, and runs on one replica at a time.
 */
import t from 'tap'
import { botState, build, eventually, type TestApp } from '../helper.js'
import { buildApp } from '../../src/app.js'

/** The ids in the active index of every bucket. */
async function activeIds ({ redis, keys }: TestApp): Promise<string[]> {
  const buckets = Array.from({ length: keys.buckets }, async (_, i) => await redis.zrange(keys.bucket(i).activeIndex, '0', '-1'))
  return (await Promise.all(buckets)).flat().sort()
}

async function put (app: TestApp['app'], id: string): Promise<void> {
  const res = await app.inject({ method: 'PUT', url: `/seller/state/${id}`, payload: botState({ contact_id: id }) })
  if (res.statusCode !== 201) throw new Error(`setup failed: ${res.body}`)
}

t.test('a sweep removes ghosts, indexes orphans, reports the drift, counts the prototype\'s pickles and leaves them alone', async (t) => {
  const ctx = await build(t, { SWEEP_INTERVAL_SECONDS: '0' })
  const { app, redis, keys } = ctx
  const state = (id: string): string => keys.of(id).state(id)
  await put(app, 'alive')
  await put(app, 'deleted-by-hand')
  await put(app, 'unindexed')
  await redis.del(state('deleted-by-hand'))
  await redis.zrem(keys.of('unindexed').activeIndex, 'unindexed')
  await redis.pexpire(state('unindexed'), 3_600_000)
  await redis.set(state('pickle'), Buffer.from([0x80, 0x04, 0x95]), 'PX', 3_600_000)
  await redis.hset(state('hand-made'), 'doc', '{}')

  t.same(await app.indexMaintenance.sweep(), { expired: 0, ghosts: 1, orphans: 1, prototypeStates: 1 })
  t.same(await activeIds(ctx), ['alive', 'unindexed'])
  const score = Number(await redis.zscore(keys.of('unindexed').activeIndex, 'unindexed'))
  t.ok(Math.abs(score - (Date.now() + 3_600_000)) < 5000, 'the orphan is scored by its remaining TTL')
  const listed = (await app.inject({ url: '/seller/active' })).json().conversations.map((c: { contact_id: string }) => c.contact_id)
  t.same(listed.sort(), ['alive', 'unindexed'], 'the dashboard sees the repaired index')

  const metrics = (await app.inject({ url: '/metrics' })).body
  t.match(metrics, /seller_state_index_drift 2\n/)
  t.match(metrics, /seller_state_sweep_entries_total\{kind="ghost"\} 1\n/)
  t.match(metrics, /seller_state_sweep_entries_total\{kind="orphan"\} 1\n/)
  t.match(metrics, /seller_state_prototype_states 1\n/)
  t.equal(await redis.type(state('pickle')), 'string', 'the pickle is left for the migration tool')

  t.same(await app.indexMaintenance.sweep(), { expired: 0, ghosts: 0, orphans: 0, prototypeStates: 1 }, 'nothing left to repair')
  t.match((await app.inject({ url: '/metrics' })).body, /seller_state_index_drift 0\n/)
})

t.test('a sweep counts the entries of states that expired', async (t) => {
  const { app } = await build(t, { SWEEP_INTERVAL_SECONDS: '0', STATE_TTL_SECONDS: '1' })
  await put(app, 'short-lived')
  await new Promise((resolve) => setTimeout(resolve, 1200))
  t.same(await app.indexMaintenance.sweep(), { expired: 1, ghosts: 0, orphans: 0, prototypeStates: 0 })
})

t.test('one replica sweeps per period: the others find the lock taken', async (t) => {
  const { app, config, redis, keys } = await build(t, { SWEEP_INTERVAL_SECONDS: '60' })
  const other = await buildApp(config)
  t.teardown(() => other.close())
  await other.ready()
  t.equal(await app.indexMaintenance.sweepIfLeader(), null, 'the start-up sweep of the first replica holds the lock')
  await redis.del(keys.sweepLock) // as when the period is over
  t.same(await app.indexMaintenance.sweepIfLeader(), { expired: 0, ghosts: 0, orphans: 0, prototypeStates: 0 })
  t.equal(await other.indexMaintenance.sweepIfLeader(), null, 'the other replica skips')
  t.equal(await app.indexMaintenance.sweepIfLeader(), null, 'and so does the same one until the period is over')
})

t.test('with SWEEP_INTERVAL_SECONDS set the sweep runs by itself', async (t) => {
  const { app, redis, keys } = await build(t, { SWEEP_INTERVAL_SECONDS: '1' })
  await put(app, 'ghost')
  await redis.del(keys.of('ghost').state('ghost'))
  const index = keys.of('ghost').activeIndex
  t.ok(await eventually(async () => await redis.zscore(index, 'ghost') === null, 4000), 'the ghost is gone without any request')
  t.match((await app.inject({ url: '/metrics' })).body, /seller_state_sweep_runs_total [1-9]/)
})

t.test('a contact that lost its active-index entry and its state is found through the meta', async (t) => {
  const { app, redis, keys } = await build(t, { SWEEP_INTERVAL_SECONDS: '0' })
  const halfGone = keys.of('half-gone')
  await put(app, 'half-gone')
  await put(app, 'kept')
  await redis.zrem(halfGone.activeIndex, 'half-gone')
  await redis.del(halfGone.state('half-gone'))
  t.equal((await app.inject({ url: '/seller/active/summary' })).json().total, 2, 'the slot sets still count it')
  t.same(await app.indexMaintenance.sweep(), { expired: 0, ghosts: 1, orphans: 0, prototypeStates: 0 })
  t.equal((await app.inject({ url: '/seller/active/summary' })).json().total, 1)
  t.equal(await redis.hget(halfGone.indexMeta, 'half-gone'), null)
})
