/**
 * Rate limiting per token, in Redis: a 429 with Retry-After past the budget, one budget per token,
 * no token in the keys, health exempt, off by default.
 */
import t from 'tap'
import { botState, build, getState, putState, storedKeys } from '../helper.js'

const READ = 'read-token-0123456789abcdef'
const WRITE = 'write-token-0123456789abcdef'
const LIMITED = { API_KEYS: `read:${READ},write:${WRITE}`, RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW: '1 minute' }
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` })

t.test('past RATE_LIMIT_MAX a token gets 429 with Retry-After; another token has its own budget', async (t) => {
  const ctx = await build(t, LIMITED)
  const { app } = ctx
  t.equal((await putState(app, 'contact-1', botState(), bearer(WRITE))).statusCode, 201)
  t.equal((await getState(app, 'contact-1', bearer(WRITE))).statusCode, 200)
  t.equal((await getState(app, 'contact-1', bearer(WRITE))).statusCode, 200)
  const limited = await getState(app, 'contact-1', bearer(WRITE))
  t.equal(limited.statusCode, 429)
  t.match(limited.json(), { statusCode: 429, error: 'Too Many Requests', code: 'RATE_LIMITED' })
  t.ok(Number(limited.headers['retry-after']) > 0, `Retry-After: ${String(limited.headers['retry-after'])}`)
  t.equal((await getState(app, 'contact-1', bearer(READ))).statusCode, 200, 'the read token is counted apart')
  t.equal((await app.inject({ url: '/health/ready' })).statusCode, 200, 'health is never limited')
  t.equal((await app.inject({ url: '/health/ready' })).statusCode, 200)

  // Every master's keys: the counters' names are not tagged, so they may fall on any master.
  const keys = (await storedKeys(ctx)).filter((key) => key.startsWith(ctx.keys.rateLimitPrefix))
  t.equal(keys.length, 2, 'one counter per token, shared by every replica')
  t.notOk(keys.some((key) => key.includes(READ) || key.includes(WRITE)), 'keyed by a digest, never the token')
})

t.test('off by default', async (t) => {
  const { app } = await build(t)
  for (let i = 0; i < 5; i++) t.equal((await app.inject({ url: '/seller/active' })).statusCode, 200)
  t.equal((await app.inject({ url: '/seller/active' })).headers['x-ratelimit-limit'], undefined)
})
