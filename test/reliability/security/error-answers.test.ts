/**
 * What every answer must look like, over real HTTP: sane headers (no x-powered-by, nosniff, a
 * content-type for every body, none for a 204 or 304), and error bodies of the documented shape
 * that give away no internal (stack, path, Redis reply, address, key name, token), for every
 * client error, success and server error the service can be provoked into.
 */
import t from 'tap'
import { botState, build, eventually, privateRedis } from '../../helper.js'
import { rawRequest, type RawRequest } from '../../support/raw-http.js'
import {
  documentText, errorBodyProblems, headerProblems, INTERNALS, KEYS, listen, MERGE_PATCH, QUIET, raw, READ, WRITE, WRONG, type Answer
} from './support.js'

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
