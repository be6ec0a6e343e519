/**
 * The security checks of issue 6, seen from the client's (or an attacker's) side of the wire:
 * no route writes without a write token, tokens never reach the logs, error bodies carry no
 * internals, every answer has sane headers, and no id can address another key in Redis.
 *
 * Every route is found in the running app (not listed here), so a route added later is covered
 * too. Redis is compared key by key (content and TTL) around the requests: a refused request
 * must leave no trace, and an accepted one may touch only its own contact's keys.
 */
import t from 'tap'
import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import { REDACTED_PATHS } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { ID_PATTERN } from '../../schemas/common.js'
import { botState, build, eventually, privateRedis, type TestApp } from '../helper.js'
import { rawRequest, type RawRequest } from '../support/raw-http.js'
import { startService } from '../support/service-process.js'

// Tokens as operators make them: hex (which is also a valid contact id and request id) and
// base64 (whose URL-encoded and JSON forms differ from the raw one). WRONG is configured nowhere.
const READ = 'f3a9c27e5b1d4086a7e2c9b4d1f08e6a3c5b7d92'
const WRITE = 'k9+Qz/Wm3xT7rL2v=Np8Ys4~Hc'
const WRONG = 'wrong-token-0123456789abcdef'
const KEYS = { API_KEYS: `read:${READ},write:${WRITE}` }
// No background sweep: nothing but the requests under test may change Redis.
const QUIET = { SWEEP_INTERVAL_SECONDS: '0' }

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` })
const base64 = (text: string): string => Buffer.from(text).toString('base64')
const swapCase = (text: string): string => [...text].map((c) => c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()).join('')
const ID = new RegExp(ID_PATTERN)
const WRITE_METHODS = ['PUT', 'PATCH', 'DELETE', 'POST']

/** A document for a contact, without contact_id (the path gives it). */
function documentText (overrides: Record<string, unknown> = {}): string {
  const { contact_id: _fromPath, ...document } = botState(overrides)
  return JSON.stringify(document)
}

const MERGE_PATCH = '{"stage":"Q4","seller_name":"Mallory"}'

/** An answer as the client saw it, whichever way it was sent. */
interface Answer {
  method: string
  status: number
  headers: Record<string, string | string[] | number | undefined>
  body: Buffer
}

async function inject (app: FastifyInstance, method: string, url: string, headers: Record<string, string> = {}, payload?: string): Promise<Answer> {
  const res = await app.inject({ method: method as 'GET', url, headers, ...(payload === undefined ? {} : { payload }) })
  return { method, status: res.statusCode, headers: res.headers, body: res.rawPayload }
}

async function listen (app: FastifyInstance): Promise<number> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  return (app.server.address() as { port: number }).port
}

async function raw (port: number, request: RawRequest): Promise<Answer> {
  const res = await rawRequest(port, request)
  return { method: request.method, ...res }
}

// ---------------------------------------------------------------------------------------------
// What Redis holds, key by key

interface KeyState {
  type: string
  /** PTTL: -1 without expiry. */
  ttlMs: number
  /** Members (set), fields (hash), members with scores (sorted set), or the value (others). */
  entries: Map<string, string>
}
type Snapshot = Map<string, KeyState>

// One round trip per snapshot. Contents, not DUMP: a large hash's DUMP follows its dict's
// iteration order, which a mere read can change (incremental rehashing).
const SNAPSHOT_SCRIPT = `
local out = {}
for _, key in ipairs(redis.call('KEYS', ARGV[1])) do
  local kind = redis.call('TYPE', key)['ok']
  local content
  if kind == 'hash' then content = redis.call('HGETALL', key)
  elseif kind == 'zset' then content = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
  elseif kind == 'set' then content = redis.call('SMEMBERS', key)
  elseif kind == 'string' then content = { '', redis.call('GET', key) }
  else content = { '', redis.call('DUMP', key) }
  end
  out[#out + 1] = { key, kind, redis.call('PTTL', key), content }
end
return out`

/** Every key of the app's prefix (the sweep's locks aside), with its content and TTL. */
async function snapshot ({ redis, config }: TestApp): Promise<Snapshot> {
  const keys = await redis.eval(SNAPSHOT_SCRIPT, 0, `${config.keyPrefix}*`) as Array<[string, string, number, string[]]>
  const result: Snapshot = new Map()
  for (const [key, type, ttlMs, content] of keys) {
    if (key.startsWith(`${config.keyPrefix}lock:`)) continue
    const entries = type === 'set'
      ? content.map((member): [string, string] => [member, ''])
      : content.flatMap((item, i): Array<[string, string]> => i % 2 === 0 ? [[item, content[i + 1] as string]] : [])
    result.set(key, { type, ttlMs, entries: new Map(entries) })
  }
  return result
}

/**
 * What changed between two snapshots, as readable lines. With an owner (a contact id), what
 * belongs to that contact is left out: its state key, its idempotency records, and its entry in
 * every shared index (a member or field named by its id). Everything else must be as it was:
 * same content, no TTL reset.
 */
function changes (before: Snapshot, after: Snapshot, prefix: string, owner: string | null = null): string[] {
  const perContact = (key: string): boolean => key.startsWith(`${prefix}state:`) || key.startsWith(`${prefix}idempotency:`)
  const owns = (key: string): boolean => owner !== null &&
    (key === `${prefix}state:${owner}` || key.startsWith(`${prefix}idempotency:${owner}:`))
  // In a shared index the owner's entry is left out, and an absent index is an empty one (the
  // owner's entry may have been its only one). Another contact's keys are compared whole.
  const content = (state: KeyState | undefined, shared: boolean): string => {
    const entries = [...state?.entries ?? []].filter(([member]) => !shared || member !== owner)
    return state === undefined || (shared && entries.length === 0) ? 'empty' : JSON.stringify([state.type, entries.sort()])
  }
  const found: string[] = []
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    if (owns(key)) continue
    const was = before.get(key)
    const is = after.get(key)
    const name = key.slice(prefix.length)
    const shared = owner !== null && !perContact(key) && [was?.type, is?.type].every((type) => type === undefined || type === 'zset' || type === 'hash' || type === 'set')
    if (content(was, shared) !== content(is, shared)) {
      found.push(`${name}: ${was === undefined ? 'created' : is === undefined ? 'deleted' : 'changed'}`)
    }
    if (was !== undefined && is !== undefined && ((was.ttlMs === -1) !== (is.ttlMs === -1) || (was.ttlMs >= 0 && is.ttlMs > was.ttlMs))) {
      found.push(`${name}: TTL changed from ${was.ttlMs} to ${is.ttlMs} ms`)
    }
  }
  return found.sort()
}

t.test('the Redis comparison sees every kind of change (the oracle of the tests below)', async (t) => {
  const ctx = await build(t, QUIET)
  const { redis, config: { keyPrefix: prefix } } = ctx
  await redis.set(`${prefix}state:victim`, 'v')
  await redis.hset(`${prefix}state:victim-2`, 'doc', '{}', 'at', '1')
  await redis.zadd(`${prefix}active_contacts`, 1, 'victim', 2, 'attacker')
  await redis.expire(`${prefix}state:victim`, 100)
  const before = await snapshot(ctx)
  t.same(changes(before, await snapshot(ctx), prefix), [], 'nothing done, nothing seen')
  await redis.zadd(`${prefix}active_contacts`, 5, 'attacker')
  await redis.set(`${prefix}idempotency:attacker:k`, 'r')
  t.same(changes(before, await snapshot(ctx), prefix, 'attacker'), [], 'the owner\'s own entries and records may change')
  t.same(changes(before, await snapshot(ctx), prefix), ['active_contacts: changed', 'idempotency:attacker:k: created'], 'without an owner, they count')
  await redis.zadd(`${prefix}active_contacts`, 9, 'victim')
  await redis.expire(`${prefix}state:victim`, 1000)
  const found = changes(before, await snapshot(ctx), prefix, 'attacker')
  t.equal(found.length, 2, found.join('; '))
  t.match(found, ['active_contacts: changed', /^state:victim: TTL changed from \d+ to \d+ ms$/], 'another contact\'s entry or TTL')
  await redis.hset(`${prefix}state:victim-2`, 'doc', '{"hacked":true}')
  t.same(changes(before, await snapshot(ctx), prefix, 'doc').filter((line) => line.startsWith('state:victim-2')), ['state:victim-2: changed'],
    'another contact\'s state is compared whole, even for an attacker named like one of its fields')
})

// ---------------------------------------------------------------------------------------------
// Headers and error bodies: what every answer must look like

/** What is wrong with an answer's headers: x-powered-by, nosniff, a content-type for a body. */
function headerProblems (label: string, { method, status, headers, body }: Answer): string[] {
  const problems: string[] = []
  if (headers['x-powered-by'] !== undefined) problems.push(`${label}: x-powered-by ${String(headers['x-powered-by'])}`)
  if (headers['x-content-type-options'] !== 'nosniff') problems.push(`${label}: x-content-type-options ${String(headers['x-content-type-options'])}`)
  if (status === 204 || status === 304) {
    // No content, so no representation metadata (RFC 9110 8.6, 15.4.5).
    if (body.length > 0) problems.push(`${label}: a ${status} with a body`)
    for (const name of ['content-type', 'content-length']) {
      if (headers[name] !== undefined) problems.push(`${label}: a ${status} with ${name} ${String(headers[name])}`)
    }
  } else if ((body.length > 0 || (method === 'HEAD' && Number(headers['content-length']) > 0)) && headers['content-type'] === undefined) {
    problems.push(`${label}: a body without content-type`)
  }
  return problems
}

/** Stack frames, source paths, Redis error replies and script text, connection strings. */
const INTERNALS = [
  /\bat [\w.<>$[\] ]*\(/, /\bat (file:|node:|\/)/, /\/src\/|\/routes\/|\.ts\b|\.js:\d|node_modules|\/work\//,
  /\bERR\b|WRONGTYPE|NOSCRIPT|BUSY|user_script|redis\.call|evalsha|KEYS\[|ARGV|\bLua\b/i,
  /rediss?:\/\//, /ECONNREFUSED|ioredis/i, /127\.0\.0\.1:\d+|localhost:\d+/
]

/** What is wrong with an error answer: its shape, its media type, any internal it gives away. */
function errorBodyProblems (label: string, answer: Answer, secrets: string[]): string[] {
  const text = answer.body.toString('utf8')
  const problems: string[] = []
  if (!/^application\/json\b/.test(String(answer.headers['content-type']))) problems.push(`${label}: content-type ${String(answer.headers['content-type'])}`)
  let body: Record<string, unknown>
  try {
    body = JSON.parse(text)
  } catch {
    return [...problems, `${label}: not JSON: ${text.slice(0, 200)}`]
  }
  const keys = Object.keys(body).sort()
  const allowed = ['code', 'error', 'message', 'statusCode']
  if (!['error', 'message', 'statusCode'].every((key) => keys.includes(key)) || keys.some((key) => !allowed.includes(key))) {
    problems.push(`${label}: keys ${keys.join(', ')}`)
  }
  if (body.statusCode !== answer.status) problems.push(`${label}: statusCode ${String(body.statusCode)} in a ${answer.status}`)
  if (typeof body.message !== 'string' || typeof body.error !== 'string' || !['string', 'undefined'].includes(typeof body.code)) {
    problems.push(`${label}: types ${text}`)
  }
  for (const pattern of INTERNALS) if (pattern.test(text)) problems.push(`${label}: matches ${String(pattern)}: ${text}`)
  for (const secret of secrets) if (text.includes(secret)) problems.push(`${label}: gives away ${secret}: ${text}`)
  return problems
}

// ---------------------------------------------------------------------------------------------
// 1. No write without a write token

interface Route { path: string, methods: string[] }

/** Every route of the app, read from its router (printRoutes), with the methods it accepts. */
function routesOf (app: FastifyInstance): Route[] {
  const routes: Route[] = []
  const parents: string[] = []
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    // Four characters of tree per level, then the node's part of the path and its methods.
    const node = /^((?:[│ ] {3})*)[├└]── (.+?)(?: \(([A-Z, ]+)\))?$/.exec(line)
    if (node === null) continue
    parents.length = (node[1] as string).length / 4
    parents.push(node[2] as string)
    if (node[3] !== undefined) routes.push({ path: parents.join(''), methods: node[3].split(', ') })
  }
  return routes
}

/** A URL for a route: parameters filled with an existing contact, wildcards with a file name. */
const concrete = (path: string): string => path.replace(/:\w+/g, 'victim').replace(/\*/g, 'index.css')

/** Authorization headers that carry no valid write token, and the scope each one has. */
const CREDENTIALS: Array<{ name: string, headers: Record<string, string>, scope: 'none' | 'read' }> = [
  { name: 'no Authorization', headers: {}, scope: 'none' },
  { name: 'Bearer without a token', headers: { authorization: 'Bearer' }, scope: 'none' },
  { name: 'Bearer and a space', headers: { authorization: 'Bearer ' }, scope: 'none' },
  { name: 'Basic with user and write token', headers: { authorization: `Basic ${base64(`api:${WRITE}`)}` }, scope: 'none' },
  { name: 'Basic with the write token', headers: { authorization: `Basic ${base64(WRITE)}` }, scope: 'none' },
  { name: 'the write token without a scheme', headers: { authorization: WRITE }, scope: 'none' },
  { name: 'another scheme', headers: { authorization: `Token ${WRITE}` }, scope: 'none' },
  { name: 'a tab instead of a space', headers: { authorization: `Bearer\t${WRITE}` }, scope: 'none' },
  { name: 'the write token quoted', headers: { authorization: `Bearer "${WRITE}"` }, scope: 'none' },
  { name: 'a trailing character', headers: { authorization: `Bearer ${WRITE}x` }, scope: 'none' },
  { name: 'a word after the token', headers: { authorization: `Bearer ${WRITE} x` }, scope: 'none' },
  { name: 'the last character missing', headers: { authorization: `Bearer ${WRITE.slice(0, -1)}` }, scope: 'none' },
  { name: 'lower case', headers: { authorization: `Bearer ${WRITE.toLowerCase()}` }, scope: 'none' },
  { name: 'upper case', headers: { authorization: `Bearer ${WRITE.toUpperCase()}` }, scope: 'none' },
  { name: 'swapped case', headers: { authorization: `Bearer ${swapCase(WRITE)}` }, scope: 'none' },
  { name: 'read and write tokens in one header', headers: { authorization: `Bearer ${READ} ${WRITE}` }, scope: 'none' },
  { name: 'a list of credentials', headers: { authorization: `Bearer ${READ}, Bearer ${WRITE}` }, scope: 'none' },
  { name: 'the write token elsewhere', headers: { 'x-api-key': WRITE, cookie: `token=${WRITE}` }, scope: 'none' },
  { name: 'an unknown token', headers: bearer(WRONG), scope: 'none' },
  { name: 'the read token', headers: bearer(READ), scope: 'read' },
  { name: 'the read token and a method override', headers: { ...bearer(READ), 'x-http-method-override': 'GET' }, scope: 'read' }
]

/** The victims every write attempt aims at: a state with an idempotency record. */
async function seedVictims ({ app }: TestApp): Promise<void> {
  for (const id of ['victim', 'victim-2']) {
    const res = await inject(app, 'PUT', `/seller/state/${id}`, { ...bearer(WRITE), 'content-type': 'application/json', 'idempotency-key': `sms-${id}` }, documentText({ seller_name: 'Ann Lee' }))
    if (res.status !== 201 && res.status !== 200) throw new Error(`seeding ${id}: ${res.status}`)
  }
}

t.test('no route writes without a write token, and nothing else leaves a trace either', async (t) => {
  const started = Date.now()
  const ctx = await build(t, { ...KEYS, ...QUIET })
  const { app, config: { keyPrefix: prefix } } = ctx
  const routes = routesOf(app)
  const publicRoutes = new Set(routes.map((route) => route.path).filter((path) => path.startsWith('/health/') || path === '/docs' || path.startsWith('/docs/')))

  // The route list is the router's: it must hold every documented path, and the state route
  // with every method.
  const openapi = JSON.parse((await inject(app, 'GET', '/docs/json')).body.toString()) as { paths: Record<string, unknown> }
  const documented = Object.keys(openapi.paths).map((path) => path.replace(/\{(\w+)\}/g, ':$1'))
  t.same(documented.filter((path) => !routes.some((route) => route.path === path)), [], 'every documented path is among the routes found')
  t.same(routes.find((route) => route.path === '/seller/state/:contactId')?.methods.sort(), ['DELETE', 'GET', 'HEAD', 'PATCH', 'PUT'])

  await seedVictims(ctx)
  let baseline = await snapshot(ctx)
  const problems: string[] = []
  let requests = 0
  for (const route of routes) {
    const url = concrete(route.path)
    const isPublic = publicRoutes.has(route.path)
    for (const method of [...new Set([...route.methods, ...WRITE_METHODS, 'OPTIONS'])]) {
      const payload = method === 'PATCH' ? MERGE_PATCH : ['PUT', 'POST'].includes(method) ? documentText({ stage: 'Q4', seller_name: 'Mallory' }) : undefined
      for (const credential of CREDENTIALS) {
        const label = `${method} ${url} with ${credential.name}`
        const answer = await inject(app, method, url, { ...credential.headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) }, payload)
        requests++
        problems.push(...headerProblems(label, answer))
        const reads = method === 'GET' || method === 'HEAD'
        const challenged = String(answer.headers['www-authenticate'] ?? '')
        if (credential.scope === 'read' && WRITE_METHODS.includes(method)) {
          if (answer.status !== 403 || !challenged.includes('insufficient_scope')) problems.push(`${label}: ${answer.status} ${challenged}`)
        } else if (reads && (isPublic || credential.scope === 'read')) {
          if (answer.status >= 500) problems.push(`${label}: ${answer.status}`)
        } else if (credential.scope === 'read') {
          // A method no route has (OPTIONS): the read token is valid, the route is not.
          if (answer.status !== 404) problems.push(`${label}: ${answer.status}`)
        } else if (answer.status !== 401 || challenged !== 'Bearer realm="seller-state"') {
          problems.push(`${label}: ${answer.status} ${challenged}`)
        }
        if (answer.status >= 400 && method !== 'HEAD') problems.push(...errorBodyProblems(label, answer, [prefix]))
      }
      // Once per route and method: a write could not be undone by a later request of the
      // group (every write changes the write time and the TTL).
      const now = await snapshot(ctx)
      const changed = changes(baseline, now, prefix)
      if (changed.length > 0) {
        problems.push(`${method} ${url} with one of the credentials: Redis changed: ${changed.join('; ')}`)
        baseline = now
      }
    }
  }
  t.same(problems, [], 'every request without a write token was refused (or only read) and left Redis as it was')

  // Two Authorization headers: Node keeps the first one, as a proxy in front would; whatever
  // follows a credential that is not a write token must not make it one.
  const port = await listen(app)
  const doubled = [[`Bearer ${READ}`, `Bearer ${WRITE}`], [`Bearer ${WRONG}`, `Bearer ${WRITE}`], ['Bearer', `Bearer ${WRITE}`], [`Bearer ${READ}`, `Bearer ${READ}`]]
  for (const [first, second] of doubled) {
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      const label = `${method} with Authorization: ${first?.slice(0, 12) ?? ''}... twice`
      const answer = await raw(port, {
        method,
        target: '/seller/state/victim',
        headers: [['Authorization', first as string], ['Authorization', second as string], ['Content-Type', 'application/json']],
        body: method === 'PATCH' ? MERGE_PATCH : method === 'DELETE' ? '' : documentText({ stage: 'Q4' })
      })
      requests++
      t.ok(answer.status === 401 || answer.status === 403, `${label}: ${answer.status}`)
      t.same(changes(baseline, await snapshot(ctx), prefix), [], `${label}: Redis unchanged`)
      t.same(headerProblems(label, answer), [])
    }
  }

  // The same requests with the write token do write: the comparison above could have failed.
  let writes = 0
  for (const method of ['PUT', 'PATCH', 'DELETE']) {
    const payload = { PUT: documentText({ stage: 'Q4' }), PATCH: MERGE_PATCH, DELETE: undefined }[method]
    const answer = await inject(app, method, '/seller/state/victim', { ...bearer(WRITE), 'content-type': 'application/json' }, payload)
    t.ok(answer.status < 300, `${method} with the write token: ${answer.status}`)
    const now = await snapshot(ctx)
    if (changes(baseline, now, prefix).length > 0) writes++
    baseline = now
  }
  t.equal(writes, 3, 'each write with the write token changed Redis')
  t.comment(`${routes.length} routes, ${CREDENTIALS.length} credentials, ${requests} requests without a write token, ${Date.now() - started} ms`)
})

t.test('with rate limiting on, a request without a write token changes only its own counter, named by a digest', async (t) => {
  const ctx = await build(t, { ...KEYS, ...QUIET, RATE_LIMIT_MAX: '10000' })
  const { app, config: { keyPrefix: prefix } } = ctx
  await seedVictims(ctx)
  const before = await snapshot(ctx)
  const credentials = CREDENTIALS.filter(({ name }) => ['no Authorization', 'an unknown token', 'the read token'].includes(name))
  let writes = 0
  for (const route of routesOf(app)) {
    for (const method of [...new Set([...route.methods, ...WRITE_METHODS])]) {
      for (const { headers } of credentials) {
        const payload = method === 'PATCH' ? MERGE_PATCH : method === 'PUT' ? documentText() : undefined
        const answer = await inject(app, method, concrete(route.path), { ...headers, 'content-type': 'application/json' }, payload)
        if (WRITE_METHODS.includes(method) && answer.status < 300) writes++
      }
    }
  }
  t.equal(writes, 0, 'no write went through')
  const after = await snapshot(ctx)
  const changed = changes(before, after, prefix)
  t.ok(changed.length > 0 && changed.every((line) => line.startsWith('rate_limit:')), `only rate counters changed: ${changed.join('; ')}`)
  t.same(linesWithTokens([...after.keys()].join('\n')), [], 'no key name holds a token')
})

// ---------------------------------------------------------------------------------------------
// 2. Tokens never in logs

/** The forms in which a token could be written: as is, URL-encoded, inside JSON, base64. */
function tokenForms (token: string): string[] {
  return [...new Set([token, encodeURIComponent(token), JSON.stringify(token).slice(1, -1), base64(token), Buffer.from(token).toString('base64url')])]
}

/** Lines holding any form of any token, shortened for the report. */
function linesWithTokens (text: string): string[] {
  const forms = [READ, WRITE, WRONG].flatMap(tokenForms)
  return text.split('\n').filter((line) => forms.some((form) => line.includes(form))).map((line) => line.slice(0, 400))
}

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

// ---------------------------------------------------------------------------------------------
// 3 and 4. Error bodies without internals; sane headers on every answer (over real HTTP)

type Header = [string, string]
const AS_WRITER: Header[] = [['Authorization', `Bearer ${WRITE}`]]
const AS_READER: Header[] = [['Authorization', `Bearer ${READ}`]]
const JSON_BODY: Header[] = [...AS_WRITER, ['Content-Type', 'application/json']]

/** An answer to provoke: the request, and the status (and code) that prove it was provoked. */
interface Provocation { label: string, request: RawRequest, status: number, code?: string }

const put = (id: string, body: string | Buffer, headers: Header[] = []): RawRequest => ({ method: 'PUT', target: `/seller/state/${id}`, headers: [...JSON_BODY, ...headers], body })
const get = (target: string, headers: Header[] = AS_READER): RawRequest => ({ method: 'GET', target, headers })

/** Every client error the service documents, and the requests Node's parser refuses. */
const CLIENT_ERRORS: Provocation[] = [
  { label: 'an invalid contact id', request: get('/seller/state/bad.id'), status: 400, code: 'FST_ERR_VALIDATION' },
  { label: 'a NUL in the id', request: get('/seller/state/a%00b'), status: 400, code: 'FST_ERR_VALIDATION' },
  { label: 'a broken percent-encoding', request: get('/seller/state/%ZZ'), status: 400, code: 'FST_ERR_BAD_URL' },
  { label: 'an invalid document', request: put('contact-9', documentText({ stage: 'Q9' })), status: 400, code: 'FST_ERR_VALIDATION' },
  { label: 'a date that does not exist', request: put('contact-9', documentText({ last_interaction: '2026-02-30T10:00:00' })), status: 400, code: 'INVALID_DOCUMENT' },
  { label: 'a body that is not JSON', request: put('contact-9', '{"location_id":'), status: 400, code: 'INVALID_JSON' },
  { label: 'a prototype-poisoning body', request: put('contact-9', '{"__proto__":{"admin":true}}'), status: 400, code: 'INVALID_JSON' },
  { label: 'a body nested too deep', request: put('contact-9', `${'['.repeat(100)}${']'.repeat(100)}`), status: 400, code: 'INVALID_JSON' },
  { label: 'a body of invalid UTF-8', request: put('contact-9', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d])), status: 400, code: 'INVALID_JSON' },
  { label: 'an invalid Idempotency-Key', request: put('contact-9', documentText(), [['Idempotency-Key', 'has a space']]), status: 400, code: 'INVALID_HEADER' },
  { label: 'an invalid If-Match', request: put('contact-9', documentText(), [['If-Match', 'unquoted']]), status: 400, code: 'INVALID_HEADER' },
  { label: 'a contact_id that differs from the path', request: put('contact-9', JSON.stringify(botState({ contact_id: 'other' }))), status: 400, code: 'CONTACT_ID_MISMATCH' },
  { label: 'an invalid query', request: get('/seller/active?page_size=0'), status: 400, code: 'FST_ERR_VALIDATION' },
  { label: 'a forged cursor', request: get('/seller/active?cursor=WyJhIiwxLCIxIiwieCJd'), status: 400, code: 'INVALID_CURSOR' },
  { label: 'no token', request: get('/seller/state/contact-1', []), status: 401, code: 'UNAUTHORIZED' },
  { label: 'an unknown token', request: get('/seller/state/contact-1', [['Authorization', `Bearer ${WRONG}`]]), status: 401, code: 'UNAUTHORIZED' },
  { label: 'the read token on a write', request: { ...put('contact-1', documentText()), headers: [...AS_READER, ['Content-Type', 'application/json']] }, status: 403, code: 'FORBIDDEN' },
  { label: 'a contact without state', request: get('/seller/state/nobody'), status: 404, code: 'STATE_NOT_FOUND' },
  { label: 'a patch of a contact without state', request: { method: 'PATCH', target: '/seller/state/nobody', headers: JSON_BODY, body: MERGE_PATCH }, status: 404, code: 'STATE_NOT_FOUND' },
  { label: 'an unknown route', request: get('/seller/states'), status: 404, code: 'ROUTE_NOT_FOUND' },
  { label: 'a method no route has', request: { method: 'POST', target: '/seller/state/contact-1', headers: JSON_BODY, body: '{}' }, status: 404, code: 'ROUTE_NOT_FOUND' },
  { label: 'TRACE', request: { method: 'TRACE', target: '/seller/state/contact-1', headers: AS_READER }, status: 404, code: 'ROUTE_NOT_FOUND' },
  { label: 'OPTIONS', request: { method: 'OPTIONS', target: '/seller/state/contact-1', headers: AS_READER }, status: 404, code: 'ROUTE_NOT_FOUND' },
  { label: 'a stale If-Match', request: put('contact-1', documentText(), [['If-Match', '"stale"']]), status: 412, code: 'PRECONDITION_FAILED' },
  { label: 'If-None-Match: * on an existing state', request: put('contact-1', documentText(), [['If-None-Match', '*']]), status: 412, code: 'PRECONDITION_FAILED' },
  { label: 'a body over the limit', request: put('contact-9', documentText({ motivation: 'x'.repeat(300_000) })), status: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' },
  { label: 'a patch that grows the document past the limit', request: { method: 'PATCH', target: '/seller/state/grown', headers: JSON_BODY, body: JSON.stringify({ condition: 'y'.repeat(150_000) }) }, status: 413, code: 'DOCUMENT_TOO_LARGE' },
  { label: 'a body that is not JSON by its type', request: { ...put('contact-9', 'hello'), headers: [...AS_WRITER, ['Content-Type', 'text/plain']] }, status: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' },
  { label: 'a body without a type', request: { ...put('contact-9', documentText()), headers: AS_WRITER }, status: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' },
  { label: 'an Idempotency-Key reused', request: put('contact-1', documentText({ stage: 'Q3' }), [['Idempotency-Key', 'sms-1']]), status: 422, code: 'IDEMPOTENCY_KEY_REUSED' },
  { label: 'an unknown method', request: { method: 'FOO', target: '/seller/state/contact-1', headers: AS_READER }, status: 400, code: 'MALFORMED_REQUEST' },
  { label: 'a lower-case method', request: { method: 'get', target: '/seller/state/contact-1', headers: AS_READER }, status: 400, code: 'MALFORMED_REQUEST' },
  { label: 'a space in the path', request: get('/seller/state/a b'), status: 400, code: 'MALFORMED_REQUEST' },
  { label: 'a raw non-ASCII byte in the path', request: get('/seller/state/caf\u00e9'), status: 400, code: 'MALFORMED_REQUEST' },
  { label: 'a control character in a header', request: get('/seller/state/contact-1', [...AS_READER, ['X-Note', 'a\u0001b']]), status: 400, code: 'MALFORMED_REQUEST' },
  { label: 'a header without a colon', request: get('/seller/state/contact-1', [...AS_READER, ['X-Note b', '']]), status: 400, code: 'MALFORMED_REQUEST' },
  { label: 'Content-Length with Transfer-Encoding', request: { ...put('contact-9', '0\r\n\r\n'), headers: [...JSON_BODY, ['Content-Length', '5'], ['Transfer-Encoding', 'chunked']] }, status: 400, code: 'MALFORMED_REQUEST' },
  { label: 'two Content-Lengths', request: { ...put('contact-9', '{}'), headers: [...JSON_BODY, ['Content-Length', '2'], ['Content-Length', '3']] }, status: 400, code: 'MALFORMED_REQUEST' },
  { label: 'a broken chunk', request: { ...put('contact-9', 'zz\r\n{}\r\n0\r\n\r\n'), headers: [...JSON_BODY, ['Transfer-Encoding', 'chunked']] }, status: 400, code: 'MALFORMED_REQUEST' },
  { label: 'headers over 16 KB', request: get('/seller/state/contact-1', [...AS_READER, ['X-Big', 'a'.repeat(20_000)]]), status: 431, code: 'HEADERS_TOO_LARGE' }
]

/** Answers that are not errors, for the header checks. */
const SUCCESSES: Provocation[] = [
  { label: 'PUT, replaced', request: put('contact-1', documentText()), status: 200 },
  { label: 'PUT, replayed', request: put('contact-1', documentText(), [['Idempotency-Key', 'sms-1']]), status: 201 },
  { label: 'GET', request: get('/seller/state/contact-1'), status: 200 },
  { label: 'HEAD', request: { method: 'HEAD', target: '/seller/state/contact-1', headers: AS_READER }, status: 200 },
  { label: 'PATCH', request: { method: 'PATCH', target: '/seller/state/contact-1', headers: [...AS_WRITER, ['Content-Type', 'application/merge-patch+json']], body: '{"motivation":"relocating"}' }, status: 200 },
  { label: 'the listing', request: get('/seller/active'), status: 200 },
  { label: 'the full listing', request: get('/seller/active?view=full'), status: 200 },
  { label: 'the summary', request: get('/seller/active/summary'), status: 200 },
  { label: 'the metrics', request: get('/metrics'), status: 200 },
  { label: 'HEAD of the metrics', request: { method: 'HEAD', target: '/metrics', headers: AS_READER }, status: 200 },
  { label: 'the docs', request: get('/docs', []), status: 200 },
  { label: 'the docs page', request: get('/docs/', []), status: 200 },
  { label: 'the OpenAPI document', request: get('/docs/json', []), status: 200 },
  { label: 'the OpenAPI document in YAML', request: get('/docs/yaml', []), status: 200 },
  { label: 'a file of the docs page', request: get('/docs/static/swagger-initializer.js', []), status: 200 },
  { label: 'a redirect of the docs', request: get('/docs/static/index.html', []), status: 302 },
  { label: 'liveness', request: get('/health/live', []), status: 200 },
  { label: 'HEAD of liveness', request: { method: 'HEAD', target: '/health/live' }, status: 200 },
  { label: 'readiness', request: get('/health/ready', []), status: 200 }
]

t.test('every answer has sane headers, and no error body gives away an internal', async (t) => {
  const redisServer = await privateRedis(t)
  const ctx = await build(t, { ...KEYS, ...QUIET, REDIS_URL: redisServer.url })
  const { app, redis, config: { keyPrefix: prefix } } = ctx
  const port = await listen(app)
  // What a body must never show: key names, the Redis address, the tokens.
  const secrets = [prefix, redisServer.url, `:${redisServer.port}`, READ, WRITE]
  const problems: string[] = []
  let answers = 0
  const check = async (port: number, { label, request, status, code }: Provocation): Promise<Answer> => {
    const answer = await raw(port, request)
    answers++
    if (answer.status !== status) problems.push(`${label}: ${answer.status} where ${status} was expected: ${answer.body.toString().slice(0, 200)}`)
    problems.push(...headerProblems(label, answer))
    // Readiness answers in its own shape, 503 included (schemas/health.ts).
    if (answer.status >= 400 && request.method !== 'HEAD' && request.target !== '/health/ready') {
      problems.push(...errorBodyProblems(label, answer, secrets))
      const given = answer.body.toString()
      if (code !== undefined && !given.includes(`"code":"${code}"`)) problems.push(`${label}: not ${code}: ${given.slice(0, 200)}`)
    }
    return answer
  }

  const created = await check(port, { label: 'PUT, created', request: put('contact-1', documentText(), [['Idempotency-Key', 'sms-1']]), status: 201 })
  const notModified = await check(port, { label: 'GET, not modified', request: get('/seller/state/contact-1', [...AS_READER, ['If-None-Match', String(created.headers.etag)]]), status: 304 })
  // RFC 9110 15.4.5: a 304 carries the Cache-Control the 200 would have.
  if (notModified.headers['cache-control'] !== created.headers['cache-control']) problems.push(`GET, not modified: cache-control ${String(notModified.headers['cache-control'])}`)
  await check(port, { label: 'a patch that fits', request: { method: 'PATCH', target: '/seller/state/grown', headers: JSON_BODY, body: '{}' }, status: 404 })
  await check(port, { label: 'a state to grow', request: put('grown', documentText({ motivation: 'x'.repeat(150_000) })), status: 201 })
  for (const provocation of [...SUCCESSES, ...CLIENT_ERRORS]) await check(port, provocation)
  await check(port, { label: 'DELETE', request: { method: 'DELETE', target: '/seller/state/contact-1', headers: AS_WRITER }, status: 204 })

  // Server errors: a foreign value, a Redis error inside the write script, Redis gone.
  await redis.set(`${prefix}state:foreign`, 'a pickle')
  await check(port, { label: 'an unreadable state', request: get('/seller/state/foreign'), status: 500, code: 'STATE_UNREADABLE' })
  await check(port, { label: 'a patch of an unreadable state', request: { method: 'PATCH', target: '/seller/state/foreign', headers: JSON_BODY, body: MERGE_PATCH }, status: 500, code: 'STATE_UNREADABLE' })
  await redis.set(`${prefix}index_meta`, 'not a hash')
  await check(port, { label: 'a failing write script', request: put('contact-2', documentText()), status: 500 })
  await check(port, { label: 'a failing listing script', request: get('/seller/active'), status: 500 })
  await redis.del(`${prefix}index_meta`)
  await redisServer.stop()
  for (const request of [get('/seller/state/contact-1'), put('contact-1', documentText()), get('/seller/active'), get('/seller/active/summary')]) {
    const answer = await check(port, { label: `${request.method} ${String(request.target)} without Redis`, request, status: 503, code: 'REDIS_UNAVAILABLE' })
    if (answer.headers['retry-after'] !== '1') problems.push(`${String(request.target)} without Redis: retry-after ${String(answer.headers['retry-after'])}`)
  }
  const unready = await check(port, { label: 'readiness without Redis', request: get('/health/ready', []), status: 503 })
  for (const pattern of INTERNALS) if (pattern.test(unready.body.toString())) problems.push(`readiness without Redis: ${unready.body.toString()}`)

  // The answers only other configurations give: 428, 429, 503 OVERLOADED.
  const strict = await build(t, { ...QUIET, REQUIRE_PRECONDITION: 'true' })
  const strictPort = await listen(strict.app)
  await check(strictPort, { label: 'a first write, no precondition needed', request: put('contact-1', documentText()), status: 201 })
  await check(strictPort, { label: 'a write without If-Match', request: put('contact-1', documentText()), status: 428, code: 'PRECONDITION_REQUIRED' })
  const limited = await build(t, { ...QUIET, RATE_LIMIT_MAX: '1', RATE_LIMIT_WINDOW: '1 minute' })
  const limitedPort = await listen(limited.app)
  await check(limitedPort, { label: 'a first request', request: get('/seller/state/contact-1', []), status: 404, code: 'STATE_NOT_FOUND' })
  await check(limitedPort, { label: 'a request over the rate limit', request: get('/seller/state/contact-1', []), status: 429, code: 'RATE_LIMITED' })
  const overloaded = await build(t, { ...QUIET, MAX_HEAP_USED_BYTES: '1' })
  const overloadedPort = await listen(overloaded.app)
  // The heap is sampled periodically: the first requests may still pass.
  t.ok(await eventually(async () => (await rawRequest(overloadedPort, get('/seller/state/contact-1', []))).status === 503), 'the overloaded app sheds')
  await check(overloadedPort, { label: 'an overloaded service', request: get('/seller/state/contact-1', []), status: 503, code: 'OVERLOADED' })

  t.same(problems, [], 'every answer as it should be')
  t.comment(`${answers} answers checked over HTTP`)
})

// ---------------------------------------------------------------------------------------------
// 5. Key injection: no id, Idempotency-Key or location_id can address another key

/** Contacts with a state and an idempotency record, whose ids look like what an attack would aim at. */
const VICTIMS = ['victim', 'victim-1', 'victim_1', 'Victim', 'VICTIM', 'victi', 'v', 'state', 'idempotency', 'active_contacts', 'index_meta', 'location', 'x'.repeat(128)]
const VICTIM_LOCATIONS = ['loc-1', 'loc_victim', 'victim']
const VICTIM_KEYS = ['sms-1', 'a:b', '*', 'victim:sms-1']

/** Path segments an attacker would try, already in URL form. */
const ENCODED_TRICKS = ['%2F', '%2f', '%00', '%0A', '%0D%0A', '%3A', '%2A', '%3F', '%23', '%20', '%2e%2e', '..', '.', '%25', '%5B%5D', '%7B%7D', '%E2%80%8B', '%C3%A9', '%FF']
const VISIBLE_ASCII = fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code))
const ID_CHARACTER = fc.constantFrom(...'Aaz09_-:*?[]{}/.\\%\n\r\t \u0000\u00e9\u200b\u{1f600}')

/** An attack: the contact id as sent in the path, the document's location, the idempotency keys. */
const anyAttack = fc.record({
  segment: fc.oneof(
    { arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/), weight: 4 },
    fc.string({ unit: 'grapheme', maxLength: 40 }).map(encodeURIComponent),
    fc.string({ unit: ID_CHARACTER, maxLength: 20 }).map(encodeURIComponent),
    fc.tuple(fc.constantFrom('', 'state:', 'state%3A', ...ENCODED_TRICKS), fc.constantFrom(...VICTIMS), fc.constantFrom('', '*', ...ENCODED_TRICKS, '-', '_', 'x'))
      .map(([before, victim, after]) => `${before}${victim}${after}`),
    fc.constantFrom(...VICTIMS).chain((victim) => fc.integer({ min: 1, max: victim.length }).map((length) => victim.slice(0, length))),
    // Named like the fields of a state or an idempotency record (state-envelope.ts, scripts.ts).
    fc.constantFrom('doc', 'etag', 'at', 'exp', 'fp', 'status', 'body'),
    fc.string({ unit: fc.constantFrom('a', '-', '_', '9'), minLength: 120, maxLength: 140 })
  ),
  location: fc.oneof(
    { arbitrary: fc.constantFrom(...VICTIM_LOCATIONS), weight: 2 },
    { arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/), weight: 2 },
    fc.constantFrom('loc-1:Q2:WARM:u', 'loc-1*', '*', '', '../loc-1', 'loc\n1', 'l'.repeat(129)),
    fc.string({ unit: ID_CHARACTER, maxLength: 12 })
  ),
  putKey: fc.option(fc.oneof(fc.constantFrom(...VICTIM_KEYS, '?', '[a-z]*', 'has space', 'k'.repeat(256)), fc.string({ unit: VISIBLE_ASCII, minLength: 1, maxLength: 30 }))),
  deleteKey: fc.option(fc.oneof(fc.constantFrom(...VICTIM_KEYS), fc.string({ unit: VISIBLE_ASCII, minLength: 1, maxLength: 30 }))),
  bodyContactId: fc.constantFrom<'absent' | 'path' | 'victim'>('absent', 'path', 'victim')
})

/**
 * The id and the Idempotency-Key that together spell another contact's record:
 * `idempotency:<victim>:<a>:<b>` is also contact `<victim>:<a>` with key `<b>`, were ':' allowed.
 */
const splicedAttack = fc.constantFrom(...VICTIMS.map((victim, i) => [victim, VICTIM_KEYS[i % VICTIM_KEYS.length] as string] as const))
  .filter(([, key]) => key.includes(':'))
  .map(([victim, key]) => ({
    segment: `${victim}%3A${key.slice(0, key.indexOf(':'))}`,
    location: 'loc-1',
    putKey: key.slice(key.indexOf(':') + 1),
    deleteKey: null,
    bodyContactId: 'absent' as const
  }))

const attack = fc.oneof({ arbitrary: anyAttack, weight: 9 }, splicedAttack)

/** The contact id the server reads from a path segment; null where the router cannot decode it. */
function decoded (segment: string): string | null {
  try {
    return decodeURIComponent(segment)
  } catch {
    return null
  }
}

t.test('no contact id, Idempotency-Key or location_id can address another key', async (t) => {
  const started = Date.now()
  const ctx = await build(t, QUIET)
  const { app, redis, config: { keyPrefix: prefix } } = ctx
  const json = { 'content-type': 'application/json' }
  /** Redis holding the victims only; after a failed case too, so that shrinking starts clean. */
  const victimsOnly = async (): Promise<Snapshot> => {
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length > 0) await redis.del(...keys)
    for (const [i, id] of VICTIMS.entries()) {
      const res = await inject(app, 'PUT', `/seller/state/${id}`, { ...json, 'idempotency-key': VICTIM_KEYS[i % VICTIM_KEYS.length] as string }, documentText({ location_id: VICTIM_LOCATIONS[i % VICTIM_LOCATIONS.length] }))
      if (res.status !== 201) throw new Error(`victim ${id}: ${res.status}`)
    }
    return await snapshot(ctx)
  }
  let baseline = await victimsOnly()
  let cases = 0
  let requests = 0
  let writes = 0

  const attackOnOthers = attack.filter(({ segment }) => !VICTIMS.includes(decoded(segment) ?? ''))
  await fc.assert(fc.asyncProperty(attackOnOthers, async ({ segment, location, putKey, deleteKey, bodyContactId }) => {
    const id = decoded(segment)
    const owner = id !== null && ID.test(id) ? id : null
    const url = `/seller/state/${segment}`
    const contactId = { absent: {}, path: { contact_id: id }, victim: { contact_id: 'victim' } }[bodyContactId]
    const steps: Array<[string, Record<string, string>, string | undefined]> = [
      ['PUT', { ...json, ...(putKey === null ? {} : { 'idempotency-key': putKey }) }, JSON.stringify({ ...JSON.parse(documentText({ location_id: location })), ...contactId })],
      ['PATCH', json, '{"motivation":"patched","location_id":"loc-1"}'],
      ['GET', {}, undefined],
      ['DELETE', deleteKey === null ? {} : { 'idempotency-key': deleteKey }, undefined]
    ]
    cases++
    const runCase = async (): Promise<void> => {
      let previous = baseline
      for (const [method, headers, payload] of steps) {
        const answer = await inject(app, method, url, headers, payload)
        requests++
        const now = await snapshot(ctx)
        // Nobody else's keys change; a refused request changes nothing at all.
        const changed = [...changes(baseline, now, prefix, owner), ...(answer.status >= 300 ? changes(previous, now, prefix) : [])]
        if (changed.length > 0) throw new Error(`${method} ${url}: ${answer.status}, and ${changed.join('; ')}`)
        previous = now
        if (owner === null && answer.status !== 400 && answer.status !== 404) throw new Error(`${method} ${url}: ${answer.status} for an invalid id`)
        if (answer.status >= 500) throw new Error(`${method} ${url}: ${answer.status} ${answer.body.toString()}`)
        if (method === 'PUT' && answer.status < 300) {
          writes++
          // The first write of this contact (every case starts from the victims alone): an
          // Idempotency-Key of another contact's write must not replay that write.
          const body = JSON.parse(answer.body.toString()) as { contact_id: string }
          if (answer.status !== 201 || answer.headers['idempotent-replayed'] !== undefined || body.contact_id !== owner) {
            throw new Error(`PUT ${url}: ${answer.status} ${String(answer.headers['idempotent-replayed'])} for ${body.contact_id}`)
          }
        }
      }
      if (owner !== null) {
        // The attacker's own traces go: the DELETE above may have been refused, and it leaves
        // the idempotency records.
        await inject(app, 'DELETE', url)
        const records = await redis.keys(`${prefix}idempotency:${owner}:*`)
        if (records.length > 0) await redis.del(...records)
      }
    }
    const failure: unknown = await runCase().then(() => null, (err: unknown) => err)
    const left = changes(baseline, await snapshot(ctx), prefix)
    // A failed case must not spoil the next ones, nor the shrinking of its own counterexample.
    if (left.length > 0) baseline = await victimsOnly()
    if (failure !== null) throw failure
    if (left.length > 0) throw new Error(`after ${url}: ${left.join('; ')}`)
  }), { numRuns: 150, includeErrorInReport: true })

  t.ok(writes > 25, `${writes} cases wrote a state: the property does not only test refusals`)
  t.comment(`${cases} attacks, ${requests} requests, ${writes} of them writes of a state, ${Date.now() - started} ms`)
})

t.test('over real HTTP, path tricks the client library would normalize address nothing', async (t) => {
  const ctx = await build(t, QUIET)
  const { app, config: { keyPrefix: prefix } } = ctx
  await inject(app, 'PUT', '/seller/state/victim', { 'content-type': 'application/json', 'idempotency-key': 'sms-1' }, documentText())
  const port = await listen(app)
  const baseline = await snapshot(ctx)
  const segments = ['..', '.', '%2e%2e', '..%2F..%2Fstate%2Fvictim', '../victim', 'x/../victim', 'victim%00', 'victim%0A', 'victim%0D%0AX-Injected:%201',
    'victim%3Aa', 'state:victim', '%2Fvictim', 'victim%2F..', 'victim*', '*', 'victim%20', 'victim;x', 'victim%3B', '%5Bvictim%5D', '%7Bvictim%7D']
  const problems: string[] = []
  for (const segment of segments) {
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      const answer = await raw(port, { method, target: `/seller/state/${segment}`, headers: [['Content-Type', 'application/json'], ['Idempotency-Key', 'sms-1']], body: method === 'PUT' ? documentText() : method === 'PATCH' ? MERGE_PATCH : '' })
      const changed = changes(baseline, await snapshot(ctx), prefix)
      if (answer.status !== 400 && answer.status !== 404) problems.push(`${method} ${segment}: ${answer.status}`)
      if (changed.length > 0) problems.push(`${method} ${segment}: ${changed.join('; ')}`)
    }
  }
  t.same(problems, [], `${segments.length * 3} requests refused, Redis unchanged`)
})
