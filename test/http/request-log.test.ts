/**
 * What a request leaves in the log: nothing for a success at `info`, one line for a refusal (a 4xx,
 * or a 503 while Redis is away) with what an operator asks first, a stack only for a real failure,
 * and every request at `debug`. Every answer carries its request id in X-Request-Id.
 */
import t from 'tap'
import { prettyFactory } from 'pino-pretty'
import { botState, build, privateRedis, putState } from '../helper.js'
import { PRETTY_LOG_OPTIONS } from '../../src/log-format.js'
import { rawRequest } from '../support/raw-http.js'

type Line = Record<string, any>

function capture (level: string): { logger: { level: string, stream: { write: (line: string) => void } }, lines: Line[], raw: string[] } {
  const lines: Line[] = []
  const raw: string[] = []
  return { logger: { level, stream: { write: (line) => { raw.push(line); lines.push(JSON.parse(line)) } } }, lines, raw }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

t.test('at info a success logs nothing and a refusal logs one line: method, route, path, status, code, duration', async (t) => {
  const { logger, lines } = capture('info')
  const { app } = await build(t, {}, undefined, { logger })
  const before = lines.length
  t.equal((await putState(app, 'contact-1', botState())).statusCode, 201)
  t.equal((await app.inject({ url: '/seller/state/contact-1' })).statusCode, 200)
  t.same(lines.slice(before), [], 'the bot\'s hot path writes no log line')

  const missing = await app.inject({ url: '/seller/state/nobody', headers: { 'x-request-id': 'sms-SM42' } })
  t.equal(missing.statusCode, 404)
  const refused = lines.slice(before)
  t.equal(refused.length, 1, 'the 404 of a new contact is one line')
  t.match(refused[0], {
    level: 30,
    msg: 'request refused',
    reqId: 'sms-SM42',
    method: 'GET',
    route: '/seller/state/:contactId',
    path: '/seller/state/nobody',
    status: 404,
    code: 'STATE_NOT_FOUND',
    reason: 'No state stored for contact nobody; PUT a state to create it'
  })
  t.type(refused[0].durationMs, 'number')
  t.notOk('err' in refused[0], 'no error object, no stack')

  lines.length = 0
  await app.inject({ method: 'PUT', url: '/seller/state/contact-1', headers: { 'content-type': 'text/plain' }, payload: 'x' })
  await app.inject({ url: '/seller/active?stage=Q9' })
  await app.inject({ url: '/nowhere?x=1' })
  t.match(lines[0], { reason: /send the document as JSON with Content-Type: application\/json/ }, 'the reason is the message the client got')
  t.same(lines.map(({ status, code, route, path }) => ({ status, code, route, path })), [
    { status: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', route: '/seller/state/:contactId', path: '/seller/state/contact-1' },
    { status: 400, code: 'FST_ERR_VALIDATION', route: '/seller/active', path: '/seller/active' },
    { status: 404, code: 'ROUTE_NOT_FOUND', route: null, path: '/nowhere' }
  ], 'one line each, the path without its query')
})

t.test('on a terminal the refusal stays one readable line', async (t) => {
  const { logger, raw } = capture('info')
  const { app } = await build(t, {}, undefined, { logger })
  await app.inject({ url: '/seller/state/nobody' })
  const pretty = prettyFactory({ ...PRETTY_LOG_OPTIONS, colorize: false })(raw[0] as string)
  t.equal(pretty.trimEnd().split('\n').length, 1, pretty)
  t.match(pretty, /INFO.*request refused.*GET \/seller\/state\/nobody.*404.*STATE_NOT_FOUND/)
})

t.test('during an outage each 503 is one line without a stack; a real 500 keeps its stack', async (t) => {
  const { logger, lines } = capture('info')
  const server = await privateRedis(t)
  const { app } = await build(t, { REDIS_URL: server.url }, (app) => {
    app.get('/test/boom', async () => { throw new Error('a bug') })
  }, { logger })
  await server.stop()
  lines.length = 0
  for (let i = 0; i < 3; i++) t.equal((await app.inject({ url: '/seller/state/contact-1' })).statusCode, 503)
  const outage = lines.filter((line) => line.msg === 'Redis unreachable; requests get 503 until it is back')
  t.ok(outage.length <= 1, 'one warning per outage')
  for (const line of outage) t.match(line, { level: 40, reason: /ECONNREFUSED/, err: undefined }, 'the outage\'s reason, without a stack')
  const answered = lines.filter((line) => line.msg !== 'Redis unreachable; requests get 503 until it is back')
  t.equal(answered.length, 3, `one line per 503: ${JSON.stringify(lines)}`)
  for (const line of answered) {
    t.match(line, { level: 30, msg: 'request refused', status: 503, code: 'REDIS_UNAVAILABLE', method: 'GET', path: '/seller/state/contact-1' })
    t.notOk(JSON.stringify(line).includes('    at '), 'no stack')
  }

  lines.length = 0
  t.equal((await app.inject({ url: '/test/boom' })).statusCode, 500)
  t.equal(lines.length, 1)
  t.match(lines[0], { level: 50, msg: 'request failed', status: 500, method: 'GET', path: '/test/boom', err: { message: 'a bug', stack: /at / } })
})

t.test('at debug every completed request is logged with its status', async (t) => {
  const { logger, lines } = capture('debug')
  const { app } = await build(t, {}, undefined, { logger })
  await putState(app, 'contact-1', botState())
  const completed = lines.filter((line) => line.msg === 'request completed')
  t.equal(completed.length, 1)
  t.match(completed[0], { level: 20, method: 'PUT', route: '/seller/state/:contactId', path: '/seller/state/contact-1', status: 201 })
  t.type(completed[0].durationMs, 'number')
})

t.test('at trace each request is logged when it arrives, under the caller\'s X-Request-Id when it is sensible', async (t) => {
  const { logger, lines } = capture('trace')
  const { app } = await build(t, {}, undefined, { logger })
  const ids = ['sms-SM0123456789abcdef', 'x'.repeat(65), 'two words', '']
  for (const id of ids) await app.inject({ url: '/seller/state/nobody', headers: { 'x-request-id': id } })
  await app.inject({ url: '/seller/state/nobody' })
  const arrived = lines.filter((line) => line.msg === 'incoming request').map((line) => line.reqId as string)
  t.equal(arrived.length, 5)
  t.equal(arrived[0], 'sms-SM0123456789abcdef', 'a well-formed id is kept, so the bot can find its request')
  for (const id of arrived.slice(1)) t.match(id, UUID, 'a long, spaced, empty or missing id is replaced by a UUID')
  const refusals = lines.filter((line) => line.msg === 'request refused')
  t.equal(refusals[0].reqId, 'sms-SM0123456789abcdef', 'the refusal carries the same id')
})

t.test('every answer carries X-Request-Id: the caller\'s, or the one generated for it', async (t) => {
  const { logger, lines } = capture('info')
  const { app } = await build(t, { API_KEYS: 'read:read-token-0123456789abcdef' }, undefined, { logger })
  const given = await app.inject({ url: '/health/live', headers: { 'x-request-id': 'sms-SM42' } })
  t.equal(given.headers['x-request-id'], 'sms-SM42', 'a sensible id comes back')
  for (const request of [
    { url: '/health/live' },
    { url: '/health/live', headers: { 'x-request-id': 'two words' } },
    { url: '/seller/state/contact-1' },
    { url: '/nowhere' },
    { url: '/seller/state/%E0%A4%A' }
  ]) {
    const res = await app.inject(request)
    t.match(res.headers['x-request-id'], UUID, `${res.statusCode} ${request.url}`)
  }
  lines.length = 0
  const missing = await app.inject({ url: '/seller/state/contact-1', headers: { authorization: 'Bearer read-token-0123456789abcdef' } })
  t.equal(missing.statusCode, 404)
  t.equal(lines[0]?.reqId, missing.headers['x-request-id'], 'the id a client quotes is the id of the log line')
  lines.length = 0
  await app.inject({ url: '/seller/state/contact-1' })
  t.same(lines, [], 'a failed authentication has no line of its own: access control sums them up per interval')

  const port = (await app.listen({ port: 0, host: '127.0.0.1' }).then((url) => Number(new URL(url).port)))
  const malformed = await rawRequest(port, { method: 'GET', target: '/health/live', headers: [['X-Bad', 'a\u0001b']] })
  t.equal(malformed.status, 400)
  t.match(malformed.headers['x-request-id'], UUID, 'answers Node gives outside Fastify have one too')
  const line = lines.find((line) => line.code === 'MALFORMED_REQUEST')
  t.equal(line?.reqId, malformed.headers['x-request-id'], 'and their log line names it')
})
