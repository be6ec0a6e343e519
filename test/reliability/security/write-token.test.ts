/**
 * No write without a write token: every route the running app has (found in its router, not
 * listed here, so that a route added later is covered too), with every write method and every
 * credential that is not a write token, is refused or only reads, and leaves Redis as it was,
 * key by key (content and TTL); with rate limiting on, only its own counter changes.
 */
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { build, type TestApp } from '../../helper.js'
import { keyChanges, snapshotKeys } from '../../support/redis-snapshot.js'
import {
  base64, bearer, documentText, errorBodyProblems, headerProblems, inject, KEYS, linesWithTokens, listen, MERGE_PATCH, QUIET, raw,
  READ, WRITE, WRONG
} from './support.js'

const swapCase = (text: string): string => [...text].map((c) => c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()).join('')
const WRITE_METHODS = ['PUT', 'PATCH', 'DELETE', 'POST']

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
  // Hundreds of failed authentications from one address: the limit on them is tested apart.
  const ctx = await build(t, { ...KEYS, ...QUIET, AUTH_FAILURE_LIMIT: '0', DOCS_RATE_LIMIT: '0' })
  const { app, redis, keys: keySpace, config: { keyPrefix: prefix } } = ctx
  const routes = routesOf(app)
  // Open: health, the API's documentation and the dashboard's page and files (no data in them).
  const publicRoutes = new Set(routes.map((route) => route.path).filter((path) => path.startsWith('/health/') || /^\/(docs|dashboard)(\/|$)/.test(path)))

  // The route list is the router's: it must hold every documented path, and the state route
  // with every method.
  const openapi = JSON.parse((await inject(app, 'GET', '/docs/json')).body.toString()) as { paths: Record<string, unknown> }
  const documented = Object.keys(openapi.paths).map((path) => path.replace(/\{(\w+)\}/g, ':$1'))
  t.same(documented.filter((path) => !routes.some((route) => route.path === path)), [], 'every documented path is among the routes found')
  t.same(routes.find((route) => route.path === '/seller/state/:contactId')?.methods.sort(), ['DELETE', 'GET', 'HEAD', 'PATCH', 'PUT'])

  await seedVictims(ctx)
  let baseline = await snapshotKeys(redis, prefix)
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
      const now = await snapshotKeys(redis, prefix)
      const changed = keyChanges(baseline, now, keySpace)
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
      t.same(keyChanges(baseline, await snapshotKeys(redis, prefix), keySpace), [], `${label}: Redis unchanged`)
      t.same(headerProblems(label, answer), [])
    }
  }

  // The same requests with the write token do write: the comparison above could have failed.
  let writes = 0
  for (const method of ['PUT', 'PATCH', 'DELETE']) {
    const payload = { PUT: documentText({ stage: 'Q4' }), PATCH: MERGE_PATCH, DELETE: undefined }[method]
    const answer = await inject(app, method, '/seller/state/victim', { ...bearer(WRITE), 'content-type': 'application/json' }, payload)
    t.ok(answer.status < 300, `${method} with the write token: ${answer.status}`)
    const now = await snapshotKeys(redis, prefix)
    if (keyChanges(baseline, now, keySpace).length > 0) writes++
    baseline = now
  }
  t.equal(writes, 3, 'each write with the write token changed Redis')
  t.comment(`${routes.length} routes, ${CREDENTIALS.length} credentials, ${requests} requests without a write token, ${Date.now() - started} ms`)
})

t.test('with rate limiting on, a request without a write token changes only its own counter, named by a digest', async (t) => {
  const ctx = await build(t, { ...KEYS, ...QUIET, RATE_LIMIT_MAX: '10000' })
  const { app, redis, keys: keySpace, config: { keyPrefix: prefix } } = ctx
  await seedVictims(ctx)
  const before = await snapshotKeys(redis, prefix)
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
  const after = await snapshotKeys(redis, prefix)
  const changed = keyChanges(before, after, keySpace)
  t.ok(changed.length > 0 && changed.every((line) => line.startsWith('rate_limit:')), `only rate counters changed: ${changed.join('; ')}`)
  t.same(linesWithTokens([...after.keys()].join('\n')), [], 'no key name holds a token')
})
