/**
 * Bearer tokens: read and write scopes, open health routes, tokens compared and never logged,
 * and the production rule that refuses to start open.
 */
import t from 'tap'
import { loadConfig } from '../../src/config.js'
import { botState, build, getState, putState, storedKeys } from '../helper.js'

const READ = 'read-token-0123456789abcdef'
const WRITE = 'write-token-0123456789abcdef'
const KEYS = { API_KEYS: `read:${READ}, write:${WRITE}` }
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` })

t.test('without a valid token: 401 with WWW-Authenticate, and nothing written', async (t) => {
  const ctx = await build(t, KEYS)
  for (const headers of [{}, bearer('not-a-token-at-all'), { authorization: `Basic ${WRITE}` }, bearer(`${WRITE}x`)]) {
    const res = await putState(ctx.app, 'contact-1', botState(), headers)
    t.equal(res.statusCode, 401, JSON.stringify(headers))
    t.equal(res.headers['www-authenticate'], 'Bearer realm="seller-state"')
    t.match(res.json(), { statusCode: 401, error: 'Unauthorized', code: 'UNAUTHORIZED' })
  }
  for (const url of ['/seller/state/contact-1', '/seller/active', '/seller/active/summary', '/metrics']) {
    t.equal((await ctx.app.inject({ url })).statusCode, 401, url)
  }
  t.same(await storedKeys(ctx), [])
})

t.test('a read token reads; writing with it is a 403 and writes nothing', async (t) => {
  const ctx = await build(t, KEYS)
  t.equal((await getState(ctx.app, 'contact-1', bearer(READ))).statusCode, 404, 'read: allowed (nothing there yet)')
  t.equal((await ctx.app.inject({ url: '/seller/active', headers: bearer(READ) })).statusCode, 200)
  t.equal((await ctx.app.inject({ url: '/metrics', headers: bearer(READ) })).statusCode, 200)
  const before = await storedKeys(ctx)
  for (const method of ['PUT', 'PATCH', 'DELETE'] as const) {
    const res = await ctx.app.inject({ method, url: '/seller/state/contact-1', headers: { ...bearer(READ), 'content-type': 'application/json' }, payload: JSON.stringify(botState()) })
    t.equal(res.statusCode, 403, method)
    t.match(res.headers['www-authenticate'], /insufficient_scope/)
    t.equal(res.json().code, 'FORBIDDEN')
  }
  t.same(await storedKeys(ctx), before)
})

t.test('a write token writes and reads; the scheme is case-insensitive', async (t) => {
  const { app } = await build(t, KEYS)
  t.equal((await putState(app, 'contact-1', botState(), bearer(WRITE))).statusCode, 201)
  t.equal((await getState(app, 'contact-1', { authorization: `bearer ${WRITE}` })).statusCode, 200)
  t.equal((await app.inject({ method: 'DELETE', url: '/seller/state/contact-1', headers: bearer(WRITE) })).statusCode, 204)
})

t.test('health routes stay open', async (t) => {
  const { app } = await build(t, KEYS)
  t.equal((await app.inject({ url: '/health/live' })).statusCode, 200)
  t.equal((await app.inject({ url: '/health/ready' })).statusCode, 200)
})

t.test('tokens never reach the logs', async (t) => {
  const lines: string[] = []
  const logger = { level: 'trace', stream: { write: (line: string) => { lines.push(line) } } }
  const { app } = await build(t, KEYS, undefined, { logger })
  await putState(app, 'contact-1', botState(), bearer(WRITE))
  await putState(app, 'contact-1', botState(), bearer(READ))
  await getState(app, 'contact-1', bearer(`${READ}-wrong`))
  t.ok(lines.length > 3, `${lines.length} log lines written`)
  t.notOk(lines.some((line) => line.includes(READ) || line.includes(WRITE)), 'no line holds a token')
  const attributed = lines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === 'request completed')
  t.match(attributed[0], { token: /^[0-9a-f]{12}$/ }, 'a request is attributed to a digest of its token')
})

t.test('configuration: entries are checked without repeating a token; production needs keys', async (t) => {
  t.same(loadConfig(KEYS).apiKeys, [{ scope: 'read', token: READ }, { scope: 'write', token: WRITE }])
  for (const value of ['admin:0123456789abcdef0123', 'read:short', `read:${READ},`, 'write']) {
    const err = t.throws(() => loadConfig({ API_KEYS: value })) as Error
    t.match(err.message, /API_KEYS entry \d must be read:<token> or write:<token>/, value)
    t.notMatch(err.message, /0123456789abcdef0123|short/, 'the value is not repeated')
  }
  t.throws(() => loadConfig({ NODE_ENV: 'production' }), { message: /API_KEYS is required with NODE_ENV=production/ })
  t.same(loadConfig({ NODE_ENV: 'production', ALLOW_ANONYMOUS: 'true' }).apiKeys, [], 'unless ALLOW_ANONYMOUS=true')
  t.equal(loadConfig({ NODE_ENV: 'production', ...KEYS }).apiKeys.length, 2)
})

t.test('the API documentation is open, and lists every route', async (t) => {
  const { app } = await build(t, KEYS)
  const json = await app.inject({ url: '/docs/json' })
  t.equal(json.statusCode, 200)
  const document = json.json()
  t.equal(document.openapi, '3.1.0')
  t.same(Object.keys(document.paths).sort(), [
    '/dashboard', '/health/live', '/health/ready', '/metrics', '/seller/active', '/seller/active/events', '/seller/active/summary', '/seller/state/{contactId}'
  ])
  const state = document.paths['/seller/state/{contactId}']
  t.same(Object.keys(state).sort(), ['delete', 'get', 'patch', 'put'])
  t.same(Object.keys(state.get.responses['200'].headers).sort(), ['etag', 'last-modified', 'x-expires-at'], 'the metadata headers')
  for (const method of ['put', 'patch', 'delete']) {
    const headers = state[method].parameters.filter((p: { in: string }) => p.in === 'header').map((p: { name: string }) => p.name).sort()
    t.same(headers, ['idempotency-key', 'if-match', 'if-none-match'], `${method}: conditional and idempotency headers`)
  }
  for (const [path, methods] of Object.entries(document.paths) as Array<[string, Record<string, { responses: Record<string, { content?: Record<string, { example?: unknown }> }> }>]>) {
    for (const [method, operation] of Object.entries(methods)) {
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) >= 400) t.ok(response.content?.['application/json']?.example, `${method} ${path} ${status} has an example`)
      }
    }
  }
  const page = await app.inject({ url: '/docs' })
  t.ok(page.statusCode === 200 || page.statusCode === 302, `the browsable page answers (${page.statusCode})`)
})
