/**
 * What a request leaves in the log: nothing for a success at `info`, a line with the reason for a
 * refusal, the error for a failure, and every request at `debug`.
 */
import t from 'tap'
import { botState, build, putState } from '../helper.js'

function capture (level: string): { logger: { level: string, stream: { write: (line: string) => void } }, lines: Array<Record<string, any>> } {
  const lines: Array<Record<string, any>> = []
  return { logger: { level, stream: { write: (line) => { lines.push(JSON.parse(line)) } } }, lines }
}

t.test('at info a success logs nothing and a refusal logs its reason', async (t) => {
  const { logger, lines } = capture('info')
  const { app } = await build(t, {}, undefined, { logger })
  const before = lines.length
  t.equal((await putState(app, 'contact-1', botState())).statusCode, 201)
  t.equal((await app.inject({ url: '/seller/state/contact-1' })).statusCode, 200)
  t.same(lines.slice(before), [], 'the bot\'s hot path writes no log line')

  t.equal((await app.inject({ url: '/seller/state/nobody' })).statusCode, 404)
  const refused = lines.slice(before)
  t.equal(refused.length, 1)
  t.match(refused[0], { level: 30, msg: 'Request refused', err: { code: 'STATE_NOT_FOUND' } })
})

t.test('at debug every completed request is logged with its status', async (t) => {
  const { logger, lines } = capture('debug')
  const { app } = await build(t, {}, undefined, { logger })
  await putState(app, 'contact-1', botState())
  const completed = lines.filter((line) => line.msg === 'request completed')
  t.equal(completed.length, 1)
  t.match(completed[0], { level: 20, req: { method: 'PUT', url: '/seller/state/contact-1' }, res: { statusCode: 201 } })
  t.type(completed[0].responseTime, 'number')
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
  for (const id of arrived.slice(1)) t.match(id, /^[0-9a-f-]{36}$/, 'a long, spaced, empty or missing id is replaced by a UUID')
  const refusals = lines.filter((line) => line.msg === 'Request refused')
  t.equal(refusals[0].reqId, 'sms-SM0123456789abcdef', 'the refusal carries the same id')
})
