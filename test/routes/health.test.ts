/**
 * /health/ready says what is wrong in the service's own words (Redis busy, out of memory,
 * unreachable), never with Redis's reply, and steps aside before Redis's memory runs out; the
 * memory shows in /metrics too. Each test owns its Redis: they block it or shrink its memory.
 */
import t from 'tap'
import { Redis, ReplyError } from 'ioredis'
import { build, metricValue, privateRedis } from '../helper.js'
import { unreadyReason } from '../../src/redis/readiness.js'

const BUSY_SCRIPT = `local t0 = redis.call('TIME') local s0 = t0[1] * 1000 + t0[2] / 1000
  while true do local t = redis.call('TIME') if t[1] * 1000 + t[2] / 1000 - s0 > tonumber(ARGV[1]) then break end end return 1`

t.test('while a script keeps Redis busy, readiness says so without Redis\'s reply', async (t) => {
  const server = await privateRedis(t)
  const { app } = await build(t, { REDIS_URL: server.url })
  const busy = new Redis(server.url)
  t.teardown(() => busy.disconnect())
  await busy.config('SET', 'busy-reply-threshold', '20')
  const running = busy.eval(BUSY_SCRIPT, 0, '600')
  await new Promise((resolve) => setTimeout(resolve, 100))
  const ready = await app.inject({ url: '/health/ready' })
  await running
  t.equal(ready.statusCode, 503)
  t.equal(ready.headers['retry-after'], '1')
  t.same(ready.json(), { status: 'unavailable', redis: 'ready', reason: 'Redis is busy running a script' })
  t.notMatch(ready.body, /SCRIPT KILL|BUSY/, 'nothing of Redis\'s reply')
  t.equal((await app.inject({ url: '/health/ready' })).statusCode, 200, 'ready again once the script ended')
})

t.test('close to maxmemory readiness answers 503 and the metrics show the pressure', async (t) => {
  const server = await privateRedis(t)
  const { app, redis } = await build(t, { REDIS_URL: server.url })
  t.equal((await app.inject({ url: '/health/ready' })).statusCode, 200)
  t.equal(await metricValue(app, 'seller_state_redis_memory_used_ratio'), 0, 'no maxmemory: ratio 0')
  const used = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1])
  await redis.config('SET', 'maxmemory', String(Math.ceil(used / 0.95)))
  const ready = await app.inject({ url: '/health/ready' })
  t.equal(ready.statusCode, 503)
  t.match(ready.json(), { status: 'unavailable', reason: /^Redis is nearly out of memory \(9\d% of maxmemory used\)$/ })
  t.ok((await metricValue(app, 'seller_state_redis_memory_used_ratio') ?? 0) > 0.9, 'the ratio metric is over 0.9')
  t.ok((await metricValue(app, 'seller_state_redis_memory_used_bytes') ?? 0) > 0, 'used bytes are exported')
  t.ok((await metricValue(app, 'seller_state_redis_maxmemory_bytes') ?? 0) > 0, 'and maxmemory')
  await redis.config('SET', 'maxmemory', '0')
  t.equal((await app.inject({ url: '/health/ready' })).statusCode, 200, 'ready again with memory to spare')
})

t.test('each kind of failure has its own words', async (t) => {
  const reply = (message: string): Error => Object.assign(new Error('Storage is unavailable'), { cause: new ReplyError(message) })
  t.equal(unreadyReason(reply('LOADING Redis is loading the dataset in memory'), 'ready'), 'Redis is loading its data')
  t.equal(unreadyReason(reply('OOM command not allowed when used memory > \'maxmemory\'.'), 'ready'), 'Redis is out of memory')
  t.equal(unreadyReason(reply('READONLY You can\'t write against a read only replica.'), 'ready'), 'Redis cannot take writes now (failover or replication)')
  t.equal(unreadyReason(reply('NOAUTH Authentication required.'), 'ready'), 'Redis refused the service\'s credentials')
  t.equal(unreadyReason(reply('ERR something else entirely'), 'ready'), 'Redis answered PING with an error')
  t.equal(unreadyReason(Object.assign(new Error('x'), { cause: new Error('Command timed out') }), 'ready'), 'Redis did not answer PING in time (unreachable or blocked)')
  t.equal(unreadyReason(new Error('Connection is closed.'), 'ready'), 'Redis is unreachable')
  t.equal(unreadyReason(new Error('Connection is closed.'), 'reconnecting'), 'Redis is not connected (reconnecting)')
})
