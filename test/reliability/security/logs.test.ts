/**
 * Tokens never reach the logs: wherever a careless client puts them (headers, query, path, ids,
 * documents), on success and on every kind of failure, in the app's logger at its most verbose,
 * in the real server's output and in its configuration errors, including REDIS_URL's password.
 */
import t from 'tap'
import { REDACTED_PATHS } from '../../../src/app.js'
import { loadConfig } from '../../../src/config.js'
import { botState, build, eventually, privateRedis } from '../../helper.js'
import { startService } from '../../support/service-process.js'
import { base64, bearer, documentText, inject, KEYS, linesWithTokens, listen, QUIET, raw, READ, WRITE, WRONG, type Answer } from './support.js'

t.test('tokens never reach the logs, wherever a careless client puts them', async (t) => {
  const lines: string[] = []
  // The logger of server.ts, at its most verbose, writing here.
  const logger = { level: 'trace', redact: REDACTED_PATHS, stream: { write: (line: string) => { lines.push(line) } } }
  const redisServer = await privateRedis(t)
  const ctx = await build(t, { ...KEYS, ...QUIET, REDIS_URL: redisServer.url }, undefined, { logger })
  const { app, redis, config: { keyPrefix: prefix } } = ctx
  const json = { 'content-type': 'application/json' }
  const write = { ...bearer(WRITE), ...json }
  const expect = async (status: number, label: string, answer: Promise<Answer>): Promise<void> => {
    t.equal((await answer).status, status, label)
  }

  await expect(201, 'a write', inject(app, 'PUT', '/seller/state/contact-1', write, documentText()))
  await expect(200, 'a read, with tokens in cookies', inject(app, 'GET', '/seller/state/contact-1', { ...bearer(READ), cookie: `session=${WRITE}; api_key=${READ}` }))
  await expect(200, 'tokens in the query', inject(app, 'GET', `/seller/state/contact-1?access_token=${encodeURIComponent(WRITE)}&token=${READ}`, bearer(READ)))
  await expect(200, 'tokens as filters', inject(app, 'GET', `/seller/active?q=${encodeURIComponent(WRITE)}&location_id=${READ}`, bearer(READ)))
  await expect(404, 'a token as a contact id', inject(app, 'GET', `/seller/state/${READ}`, bearer(READ)))
  await expect(400, 'a token as an invalid contact id', inject(app, 'GET', `/seller/state/${encodeURIComponent(WRITE)}`, bearer(READ)))
  await expect(404, 'a token as a path', inject(app, 'GET', `/${READ}/${encodeURIComponent(WRITE)}`, bearer(READ)))
  await expect(200, 'tokens as request ids', inject(app, 'GET', '/seller/state/contact-1', { ...bearer(READ), 'x-request-id': READ }))
  await expect(200, 'tokens as request ids', inject(app, 'GET', '/seller/state/contact-1', { ...bearer(READ), 'x-request-id': WRITE }))
  for (const key of [READ, WRITE]) {
    await expect(200, 'a token as Idempotency-Key', inject(app, 'PUT', '/seller/state/contact-1', { ...write, 'idempotency-key': key }, documentText()))
    await expect(422, 'the same Idempotency-Key reused', inject(app, 'PUT', '/seller/state/contact-1', { ...write, 'idempotency-key': key }, documentText({ stage: 'Q3' })))
  }
  await expect(400, 'an Idempotency-Key that is not one', inject(app, 'PUT', '/seller/state/contact-1', { ...write, 'idempotency-key': `${WRITE} ${READ}` }, documentText()))
  await expect(200, 'tokens in document fields', inject(app, 'PUT', '/seller/state/contact-1', write, documentText({ seller_name: WRITE, extracted_data: { api_key: READ } })))
  await expect(400, 'a token as a contact_id that differs', inject(app, 'PUT', '/seller/state/contact-1', write, JSON.stringify(botState({ contact_id: READ }))))
  await expect(400, 'a token as an invalid value', inject(app, 'PUT', '/seller/state/contact-1', write, documentText({ stage: WRITE, location_id: WRITE })))
  await expect(401, 'no token', inject(app, 'GET', '/seller/state/contact-1'))
  await expect(401, 'a wrong token', inject(app, 'GET', '/seller/state/contact-1', bearer(WRONG)))
  await expect(401, 'a token in Basic', inject(app, 'GET', '/seller/state/contact-1', { authorization: `Basic ${base64(`u:${WRITE}`)}` }))
  await expect(403, 'the read token on a write', inject(app, 'DELETE', '/seller/state/contact-1', { ...bearer(READ), 'idempotency-key': READ }))

  // Failures: a foreign value (500 STATE_UNREADABLE), a Redis error inside the write script
  // (500), malformed requests (400, 431), and Redis gone (503).
  await redis.set(`${prefix}state:contact-2`, 'a pickle')
  await expect(500, 'an unreadable state', inject(app, 'GET', `/seller/state/contact-2?token=${READ}`, { ...bearer(READ), 'x-request-id': READ }))
  await redis.set(`${prefix}index_meta`, 'not a hash')
  await expect(500, 'a failing write script', inject(app, 'PUT', '/seller/state/contact-3', { ...write, 'idempotency-key': READ }, documentText({ seller_name: WRITE })))
  await redis.del(`${prefix}index_meta`)
  const port = await listen(app)
  const malformed = await raw(port, { method: 'GET', target: `/seller/state/contact-1?token=${READ}`, headers: [['Authorization', `Bearer ${WRITE}`], ['X-Broken', 'a\x01b']] })
  t.equal(malformed.status, 400, 'a malformed request carrying tokens')
  const oversized = await raw(port, { method: 'GET', target: `/seller/state/contact-1?token=${READ}`, headers: [['Authorization', `Bearer ${WRITE}`], ['X-Big', 'a'.repeat(20000)]] })
  t.equal(oversized.status, 431, 'an oversized request carrying tokens')
  await redisServer.stop()
  await expect(503, 'Redis gone', inject(app, 'PUT', `/seller/state/contact-1?token=${READ}`, { ...write, 'idempotency-key': READ }, documentText({ seller_name: WRITE })))
  await expect(503, 'Redis gone, readiness', inject(app, 'GET', '/health/ready'))

  const levels = new Set(lines.map((line) => (JSON.parse(line) as { level: number }).level))
  t.ok(lines.length > 40 && levels.has(10) && levels.has(30) && levels.has(50), `${lines.length} lines at levels ${[...levels].join(', ')}`)
  t.same(linesWithTokens(lines.join('\n')), [], 'no line holds a token, raw, URL-encoded, JSON-escaped or base64')
  // The bot's documents are personal data: a failed command must not log the one it carried.
  t.notOk(lines.some((line) => line.includes('Ann Lee') || line.includes('conversation_history')), 'no line holds a document')
})

t.test('the real server: no token in its output, nor in its configuration errors', async (t) => {
  const redisServer = await privateRedis(t)
  // Started together: each start loads and compiles the whole service, which takes seconds.
  const [service, refusal] = await Promise.all([
    startService({ ...KEYS, ...QUIET, REDIS_URL: redisServer.url, LOG_LEVEL: 'trace' }),
    startService({ API_KEYS: `read:${READ},admin:${WRITE}`, LOG_LEVEL: 'trace' }).then((started) => {
      started.kill('SIGKILL')
      return 'it started'
    }, (err: Error) => err.message)
  ])
  t.teardown(() => service.kill('SIGKILL'))
  t.match(refusal, /exited with 1 before listening:\s+Invalid configuration: API_KEYS entry 2 must be read:<token> or write:<token>/, 'a bad API_KEYS stops the start, naming the entry')
  t.same(linesWithTokens(refusal), [], 'and not the tokens in it')

  const send = async (path: string, init: RequestInit = {}): Promise<number> => (await fetch(`${service.url}${path}`, init)).status
  t.equal(await send('/seller/state/contact-1', { method: 'PUT', headers: { ...bearer(WRITE), 'content-type': 'application/json', 'idempotency-key': READ }, body: documentText() }), 201)
  t.equal(await send(`/seller/state/contact-1?access_token=${encodeURIComponent(WRITE)}`, { headers: { ...bearer(READ), 'x-request-id': READ } }), 200)
  t.equal(await send(`/seller/state/${READ}`, { headers: bearer(READ) }), 404)
  t.equal(await send('/seller/state/contact-1', { headers: bearer(WRONG) }), 401)
  t.equal(await send('/seller/state/contact-1', { method: 'DELETE', headers: bearer(READ) }), 403)
  t.equal(await send('/health/live', { headers: { 'x-request-id': 'last-request' } }), 200)
  t.ok(await eventually(async () => service.output().includes('last-request')), 'the server logged every request')
  service.kill('SIGTERM')
  t.match(await service.exited, { code: 0 })
  t.ok(service.logLines().length > 10, `${service.logLines().length} lines`)
  t.same(linesWithTokens(service.output()), [], 'no line of its output holds a token')
})

t.test('a configuration error never repeats the password of REDIS_URL', async (t) => {
  // server.ts prints the message of loadConfig's error as it is.
  for (const url of [`redis://:${WRITE}@127.0.0.1:99999`, `http://user:${WRITE}@127.0.0.1:6379`, `redis://user:${WRITE}@127.0.0.1:6379/db`, `redis://${WRITE}@[::1`]) {
    const err = t.throws(() => loadConfig({ REDIS_URL: url })) as Error
    t.match(err.message, /^Invalid configuration: REDIS_URL/, err.message)
    t.same(linesWithTokens(err.message), [], 'the password is not in it')
  }
})
