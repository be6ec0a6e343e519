/**
 * REDIS_MIN_REPLICAS_ACK on a single primary: a write no replica confirms in time is answered 503
 * REPLICATION_UNCONFIRMED with Retry-After, within the command timeout; it may have landed, and
 * its retry with the same Idempotency-Key, once a replica holds it, is answered as the first try
 * would have been. (The failover suite, test/failover, kills primaries under load.)
 */
import t from 'tap'
import { Redis } from 'ioredis'
import { build, getState, privateRedis, putState } from '../helper.js'
import { botState } from '../fixtures/bot-state.js'
import { serverDir, spawnRedisServer } from '../support/redis-server.js'
import { freePort } from '../support/free-port.js'

const COMMAND_TIMEOUT_MS = 500

t.test('no replica confirms: 503 REPLICATION_UNCONFIRMED; the same Idempotency-Key once a replica does: the first answer', async (t) => {
  const primary = await privateRedis(t)
  const { app } = await build(t, { REDIS_URL: primary.url, REDIS_MIN_REPLICAS_ACK: '1', REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS) })
  const state = botState({ contact_id: 'c-ack' })

  const started = Date.now()
  const refused = await putState(app, 'c-ack', state, { 'idempotency-key': 'sms-1' })
  const tookMs = Date.now() - started
  t.equal(refused.statusCode, 503)
  t.equal(refused.headers['retry-after'], '1')
  t.match(refused.json(), { code: 'REPLICATION_UNCONFIRMED', message: /may or may not be saved; retry with the same Idempotency-Key/ })
  t.ok(tookMs < COMMAND_TIMEOUT_MS * 2, `answered within twice the command timeout (${tookMs} ms): the tries of a write share one WAIT time`)
  t.equal((await getState(app, 'c-ack')).statusCode, 200, 'here the write landed on the primary: the client could not know')

  // A directory of its own: a replica stores the snapshot of its first sync in it.
  const replica = await spawnRedisServer(['--port', String(await freePort()), '--dir', serverDir(), '--save', '', '--appendonly', 'no', '--replicaof', '127.0.0.1', String(primary.port)])
  t.teardown(() => { replica.kill('SIGKILL') })
  const admin = new Redis(primary.url)
  t.teardown(() => admin.disconnect())
  while (!/connected_slaves:1\b[\s\S]*state=online/.test(await admin.info('replication'))) await new Promise((resolve) => setTimeout(resolve, 50))

  const retried = await putState(app, 'c-ack', state, { 'idempotency-key': 'sms-1' })
  t.equal(retried.statusCode, 201, 'the retry is answered as the first write (created), now that a replica holds it')
  // As a client does after a 503: the same Idempotency-Key again (WAIT's 400 ms can run out on a
  // busy machine even with the replica online).
  let next = await putState(app, 'c-ack', { ...state, stage: 'Q3' }, { 'idempotency-key': 'sms-2' })
  for (let tries = 1; next.statusCode === 503 && tries < 5; tries++) next = await putState(app, 'c-ack', { ...state, stage: 'Q3' }, { 'idempotency-key': 'sms-2' })
  t.equal(next.statusCode, 200, 'a new write is confirmed by the replica')
})
