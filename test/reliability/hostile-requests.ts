/**
 * Hostile requests as fast-check arbitraries: odd contact ids under every method, odd headers
 * (entity tags, Idempotency-Keys, content types, framing, sizes), odd query strings for the
 * dashboard's routes, and random paths. Each value is the HostileRequest the oracle sends, and
 * prints in a few lines when a property fails.
 */
import fc from 'fast-check'
import { botState } from '../fixtures/bot-state.js'
import { SEED_IDS, writableId, type BodyCase } from './hostile-bodies.js'
import { CURRENT_ETAG, type HostileRequest } from './service-oracle.js'

const short = (value: string | Buffer): string => {
  const text = typeof value === 'string' ? value : value.toString('latin1')
  return text.length > 160 ? `${JSON.stringify(text.slice(0, 120))}... (${text.length} chars)` : JSON.stringify(text)
}

/** The request, with a short rendering for fast-check's report (long values cut, the first and last headers of many). */
function printable (request: HostileRequest, recipe?: string): HostileRequest {
  const all = (request.headers ?? []).map(([name, value]) => `${name}: ${short(value)}`)
  const headers = all.length <= 12 ? all : [...all.slice(0, 6), `... (${all.length} headers in all)`, ...all.slice(-6)]
  const body = request.body === undefined ? 'no body' : `body ${short(request.body)}`
  const text = [`${request.method} ${short(request.target)}${request.omitHost === true ? ' (no Host)' : ''}${request.halfClose === true ? ' (half-closed)' : ''}`,
    ...headers, body, ...(recipe === undefined ? [] : [`built from ${recipe}`])].join('\n    ')
  return Object.defineProperty(request, fc.toStringMethod, { value: () => text })
}

/** A PUT or PATCH with a hostile body, as sent. */
export function bodyRequest ({ method, id, contentType, body, recipe }: BodyCase): HostileRequest {
  return printable({ method, target: `/seller/state/${id}`, headers: [['Content-Type', contentType]], body }, recipe)
}

/** A valid body for each method, so that an odd id or header is what the case is about. */
function validBody (method: string): { contentType: string, body: string } | null {
  const { contact_id: _id, ...document } = botState()
  if (method === 'PUT' || method === 'POST') return { contentType: 'application/json', body: JSON.stringify(document) }
  if (method === 'PATCH') return { contentType: 'application/merge-patch+json', body: '{"motivation":"hostile input"}' }
  return null
}

const percentEncodeAll = (text: string): string => [...Buffer.from(text)].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('')

const encodeSafely = (text: string): string => {
  try {
    return encodeURIComponent(text)
  } catch {
    return text
  }
}

const ID_FRAGMENTS = [
  '..', '.', '%2e%2e%2f', '..%2F', '%2e%2e', '../', '/..', '../health/live', '*', ':', '?', '#', '{}', '{contactId}', '%00',
  '%0A', '%0D', '%0d%0a', '%20', '+', '\n', '\r', ' ', '\t', 'é', '%C3%A9', '联系', '%E8%81%94', '😀', '%F0%9F%98%80',
  '%', '%zz', '%C3', '%ED%A0%80', '%FF', 'seed-1', 'contact%2D1', ';', ',', '"', '\'', '<script>', '\\', '%5C', '~', '@',
  '$', '=', '&', '[', ']', '|', '^', '`', '%2F', 'a%2Fb'
]

const METHODS = [
  'GET', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'POST', 'TRACE', 'CONNECT', 'FOO', 'get', 'Put', 'PROPFIND',
  'PURGE', 'M-SEARCH', 'QUERY', 'LINK', 'SEARCH', 'MKCOL', 'BREW', '-', 'GÉT'
]

const hostileId: fc.Arbitrary<string | Buffer> = fc.oneof(
  fc.array(fc.constantFrom(...ID_FRAGMENTS), { minLength: 1, maxLength: 4 }).map((parts) => parts.join('')),
  fc.tuple(fc.constantFrom(...SEED_IDS), fc.constantFrom(...ID_FRAGMENTS)).map(([id, fragment]) => id + fragment),
  fc.constantFrom(...SEED_IDS).map(percentEncodeAll),
  fc.constantFrom(128, 129, 1000, 10240, 16000, 20000).map((length) => 'a'.repeat(length)),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }).map(encodeSafely),
  fc.constantFrom(...SEED_IDS).map((id) => Buffer.concat([Buffer.from(id), Buffer.from([0xff, 0x80])])),
  fc.constant('')
)

/** Odd contact ids under every method, made-up ones included. */
export const hostileIds: fc.Arbitrary<HostileRequest> = fc.record({
  method: fc.constantFrom(...METHODS),
  id: hostileId
}).map(({ method, id }) => {
  const body = validBody(method)
  const target = typeof id === 'string' ? `/seller/state/${id}` : Buffer.concat([Buffer.from('/seller/state/'), id])
  return printable({ method, target, ...(body === null ? {} : { headers: [['Content-Type', body.contentType]], body: body.body }) })
})

type Header = [string, string | Buffer]

const ENTITY_TAGS = [
  '*', ' * ', `"${CURRENT_ETAG}"`, `W/"${CURRENT_ETAG}"`, `"x", "${CURRENT_ETAG}"`, `"${CURRENT_ETAG}", "${CURRENT_ETAG}"`,
  '""', '"*"', CURRENT_ETAG, '"unterminated', ',', '', ' ', 'W/', `w/"${CURRENT_ETAG}"`, '"a" "b"', '*, "a"', '"a",,"b"',
  `"${'a'.repeat(10000)}"`, '"é"', '"a\\"b"', '"a"b"', `*, "${CURRENT_ETAG}"`
]
const entityTag = fc.oneof(fc.constantFrom(...ENTITY_TAGS), fc.string(), fc.string().map((tag) => `"${tag}"`))

const IDEMPOTENCY_KEYS: Array<string | Buffer> = [
  '', ' ', 'SM1', 'SM2', 'k'.repeat(255), 'k'.repeat(256), 'k'.repeat(10240), Buffer.from([0xe9, 0x41]), Buffer.from([0xff]),
  'a b', 'SM1, SM1', 'SM:1', '*', '../x', 'sm\u0001'
]
const idempotencyKey = fc.oneof(fc.constantFrom(...IDEMPOTENCY_KEYS), fc.stringMatching(/^[\x21-\x7e]{1,20}$/))

const CONTENT_TYPES = [
  'application/json', 'application/merge-patch+json', 'text/plain', 'application/json; charset=latin1', 'application/json; charset=utf-16',
  'multipart/form-data; boundary=x', 'application/json; foo=bar', 'APPLICATION/JSON', 'application/json ; charset=utf-8', 'application/jsonx',
  'application/x-www-form-urlencoded', 'application/json, text/plain', '', ';', '*/*', 'application/*', 'json', 'application/problem+json',
  'application/merge-patch+json; charset=utf-8', 'application/json\u0000'
]

const oneHeader = (names: string[], values: fc.Arbitrary<string | Buffer>): fc.Arbitrary<Header[]> =>
  fc.tuple(fc.constantFrom(...names), values).map(([name, value]) => [[name, value]])

const headerLines: fc.Arbitrary<Header[]> = fc.oneof(
  oneHeader(['If-Match', 'if-match', 'IF-MATCH'], entityTag),
  fc.array(entityTag, { minLength: 2, maxLength: 3 }).map((tags) => tags.map((tag): Header => ['If-Match', tag])),
  oneHeader(['If-None-Match'], entityTag),
  oneHeader(['Idempotency-Key'], idempotencyKey),
  fc.array(idempotencyKey, { minLength: 2, maxLength: 2 }).map((keys) => keys.map((key): Header => ['Idempotency-Key', key])),
  oneHeader(['Content-Type'], fc.constantFrom(...CONTENT_TYPES)),
  fc.integer({ min: 8000, max: 40000 }).map((length): Header[] => [['X-Filler', 'f'.repeat(length)]]),
  fc.integer({ min: 100, max: 3000 }).map((count) => Array.from({ length: count }, (_, i): Header => [`X-H${i}`, 'v'])),
  oneHeader(['Expect'], fc.constantFrom('100-continue', '100-CONTINUE', 'something')),
  oneHeader(['Connection'], fc.constantFrom('keep-alive', 'close, close', 'Upgrade', 'TE', '')),
  oneHeader(['Upgrade'], fc.constantFrom('websocket', 'h2c', 'HTTP/2.0')),
  oneHeader(['Authorization'], fc.constantFrom('Bearer', 'Bearer x', `Bearer ${'t'.repeat(5000)}`, 'Basic Og==', '')),
  oneHeader(['X-Request-Id'], fc.oneof(fc.constantFrom('', 'x'.repeat(5000), 'a\tb'), fc.string())),
  oneHeader(['Accept', 'Accept-Encoding', 'Content-Encoding', 'Range', 'Transfer-Encoding'], fc.constantFrom('text/html', 'gzip', 'br', 'identity', 'bytes=0-10', '*/*;q=0')),
  oneHeader(['Host'], fc.constantFrom('', 'a', 'x'.repeat(5000), '127.0.0.1:1', '[::1]', 'a b')),
  fc.constant<Header[]>([['Host', 'a'], ['Host', 'b']]),
  oneHeader(['X Bad', '', 'X-é', 'X:Colon'], fc.constant('v')),
  oneHeader(['X-Odd'], fc.constantFrom('a\u0000b', 'a\r\n b', Buffer.from([0x80, 0xff])))
)

type Framing = 'none' | 'length' | 'length-half-closed' | 'chunked' | 'short-length' | 'long-length-half-closed' | 'bad-length' | 'two-lengths' | 'length-and-chunked' | 'bad-chunks' | 'cut-chunks-half-closed'

/** The body on the wire, its framing headers, and the body the server reads from it. */
function frame (body: Buffer, framing: Framing, chunkSize: number): { headers: Header[], wire?: Buffer, entity?: Buffer, halfClose?: boolean } {
  const chunked = (): Buffer => {
    const parts: Buffer[] = []
    for (let at = 0; at < body.length; at += chunkSize) {
      const chunk = body.subarray(at, at + chunkSize)
      parts.push(Buffer.from(`${chunk.length.toString(16)}${at === 0 ? ';ext=1' : ''}\r\n`), chunk, Buffer.from('\r\n'))
    }
    return Buffer.concat([...parts, Buffer.from('0\r\n\r\n')])
  }
  switch (framing) {
    case 'none': return { headers: [] }
    case 'length': return { headers: [], wire: body }
    case 'length-half-closed': return { headers: [], wire: body, halfClose: true }
    case 'chunked': return { headers: [['Transfer-Encoding', 'chunked']], wire: chunked(), entity: body }
    case 'short-length': {
      const length = Math.max(0, body.length - chunkSize)
      return { headers: [['Content-Length', String(length)]], wire: body, entity: body.subarray(0, length) }
    }
    case 'long-length-half-closed': return { headers: [['Content-Length', String(body.length + chunkSize)]], wire: body, halfClose: true }
    case 'bad-length': return { headers: [['Content-Length', ['abc', '-1', '1e3', '0x10', '+5', '5 5', '99999999999999999999'][chunkSize % 7] as string]], wire: body }
    case 'two-lengths': return { headers: [['Content-Length', String(body.length)], ['Content-Length', String(body.length + (chunkSize % 2))]], wire: body }
    case 'length-and-chunked': return { headers: [['Content-Length', String(body.length)], ['Transfer-Encoding', 'chunked']], wire: chunked() }
    case 'bad-chunks': return { headers: [['Transfer-Encoding', 'chunked']], wire: Buffer.concat([Buffer.from('zz\r\n'), body, Buffer.from('\r\n0\r\n\r\n')]) }
    case 'cut-chunks-half-closed': {
      const wire = chunked()
      return { headers: [['Transfer-Encoding', 'chunked']], wire: wire.subarray(0, chunkSize % wire.length), halfClose: true }
    }
  }
}

const FRAMINGS: Framing[] = [
  'none', 'length', 'length', 'length', 'length-half-closed', 'chunked', 'short-length', 'long-length-half-closed', 'bad-length',
  'two-lengths', 'length-and-chunked', 'bad-chunks', 'cut-chunks-half-closed'
]

/** Odd conditional headers, Idempotency-Keys, content types, framings and header sizes on the state routes. */
export const hostileHeaders: fc.Arbitrary<HostileRequest> = fc.record({
  method: fc.constantFrom('GET', 'HEAD', 'PUT', 'PATCH', 'DELETE'),
  id: writableId,
  lines: fc.array(headerLines, { maxLength: 4 }),
  contentType: fc.option(fc.constantFrom(...CONTENT_TYPES), { freq: 3 }),
  framing: fc.constantFrom(...FRAMINGS),
  chunkSize: fc.integer({ min: 1, max: 300 }),
  omitHost: fc.oneof({ weight: 20, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) })
}).map(({ method, id, lines, contentType, framing, chunkSize, omitHost }) => {
  const valid = validBody(method)
  const body = Buffer.from(valid?.body ?? '{}')
  const framed = frame(body, framing, chunkSize)
  const type: Header[] = contentType === null ? (valid === null ? [] : [['Content-Type', valid.contentType]]) : [['Content-Type', contentType]]
  return printable({
    method,
    target: `/seller/state/${id}`,
    headers: [...type, ...framed.headers, ...lines.flat()],
    ...(framed.wire === undefined ? {} : { body: framed.wire }),
    ...(framed.entity === undefined ? {} : { entity: framed.entity }),
    ...(framed.halfClose === true ? { halfClose: true } : {}),
    ...(omitHost ? { omitHost } : {})
  })
})

const QUERY_KEYS = [
  'location_id', 'stage', 'temperature', 'stalled', 'q', 'sort', 'order', 'page', 'page_size', 'view', 'cursor', '', 'Page',
  'page[]', 'page[0]', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'a', 'page_size%00', 'location_id%5B%5D', 'stage.x'
]

const queryValues = (cursor: string): string[] => [
  '', '0', '1', '-1', '2', '20', '200', '201', '100000', '100001', '99999999999999999999', '1e3', '1.0', '01', '+1', ' 1', '%201',
  '0x10', 'NaN', 'Infinity', '-0', 'true', 'false', 'TRUE', '1,2', 'Q2', 'q2', 'Q4', 'QUALIFIED', 'STALLED', 'hot', 'HoT', 'WARM',
  'cold', 'asc', 'desc', 'ASC', 'full', 'summary', 'FULL', 'last_activity', 'stage', 'temperature', 'conversation_started', 'loc-1',
  'loc-2', 'seed-1', 'Ann', 'elm', 'a:b', '%00', '%zz', '%', '%C3', '%C3%A9', 'é', '%E2%82%AC', 'x'.repeat(10000), 'a+b',
  '__proto__', '[object Object]', cursor, `${cursor}x`, cursor.slice(0, -1), cursor.slice(1), `${cursor}${cursor}`, 'AAAA', '-_-_'
]

/** Query strings of the dashboard's routes: known and unknown keys, repeats, odd and huge values, cursors. */
export const hostileQueries = (cursor: string): fc.Arbitrary<HostileRequest> => fc.record({
  path: fc.constantFrom('/seller/active', '/seller/active/summary'),
  method: fc.constantFrom('GET', 'GET', 'GET', 'HEAD'),
  pairs: fc.array(fc.record({
    key: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...QUERY_KEYS) }, { weight: 1, arbitrary: fc.string() }),
    value: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...queryValues(cursor)) }, { weight: 1, arbitrary: fc.string() }, { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,600}$/) }),
    spelling: fc.constantFrom('encoded', 'encoded', 'raw', 'no-equals')
  }), { maxLength: 6 }),
  separator: fc.constantFrom('&', '&', '&&', ';'),
  start: fc.constantFrom('?', '?', '??', '?&'),
  end: fc.constantFrom('', '', '#fragment', '&')
}).map(({ path, method, pairs, separator, start, end }) => {
  const query = pairs.map(({ key, value, spelling }) => {
    if (spelling === 'no-equals') return encodeSafely(key)
    return spelling === 'raw' ? `${key}=${value}` : `${encodeSafely(key)}=${encodeSafely(value)}`
  }).join(separator)
  return printable({ method, target: pairs.length === 0 && end === '' ? path : `${path}${start}${query}${end}` })
})

const PATH_PREFIXES = ['', '/seller', '/seller/state', '/seller/active', '/health', '/docs', '/docs/static', '/metrics', '//seller/state']
const PATH_SEGMENTS = [
  'seller', 'state', 'active', 'summary', 'health', 'live', 'ready', 'metrics', 'docs', 'json', 'static', 'index.html',
  'swagger-initializer.js', '..', '.', '', '%2e%2e', '%2E', '%2F', '%2f..%2f', 'seed-1', 'SELLER', 'Seller', '%73eller',
  'package.json', 'etc', 'passwd', '*', '~', '%00', '%20', 'uiConfig', 'initOAuth', 'yaml'
]

/** Random paths under the service's prefixes, with and without trailing slashes, under the usual methods. */
export const hostilePaths: fc.Arbitrary<HostileRequest> = fc.record({
  method: fc.constantFrom('GET', 'GET', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'POST', 'OPTIONS'),
  prefix: fc.constantFrom(...PATH_PREFIXES),
  segments: fc.array(fc.oneof(fc.constantFrom(...PATH_SEGMENTS), fc.string({ maxLength: 8 }).map(encodeSafely)), { maxLength: 4 }),
  trailingSlash: fc.boolean()
}).map(({ method, prefix, segments, trailingSlash }) => {
  const path = [prefix, ...segments].join('/')
  const target = `${path.startsWith('/') ? '' : '/'}${path}${trailingSlash ? '/' : ''}`
  const body = validBody(method)
  return printable({ method, target, ...(body === null ? {} : { headers: [['Content-Type', body.contentType]], body: body.body }) })
})

/**
 * Run first by every run: odd ids of the issue that must always be tried, and the smallest
 * reproductions of defects these properties found (see the report of issue 6).
 */
export const idExamples: HostileRequest[] = [
  printable({ method: 'CONNECT', target: '/seller/state/seed-1' }),
  printable({ method: 'GET', target: `/seller/state/${'a'.repeat(10240)}` }),
  printable({ method: 'DELETE', target: '/seller/state/..%2Fseed-1' })
]

/** Likewise for headers and framing. */
export const headerExamples: HostileRequest[] = [
  printable({ method: 'GET', target: '/seller/state/seed-1', omitHost: true }),
  printable({ method: 'GET', target: '/seller/state/seed-1', headers: [['Expect', 'something']] }),
  printable({ method: 'DELETE', target: '/seller/state/seed-1', headers: [['Content-Length', '0']], body: '{}', entity: Buffer.alloc(0) }),
  printable({
    method: 'PATCH',
    target: '/seller/state/seed-1',
    headers: [['Content-Type', 'application/merge-patch+json'], ['Transfer-Encoding', 'chunked'], ['Connection', 'Upgrade'], ['Upgrade', 'websocket']],
    body: 'zz\r\n{}\r\n0\r\n\r\n'
  }),
  printable({ method: 'GET', target: '/seller/state/seed-1', halfClose: true }),
  printable({ method: 'GET', target: '/seller/state/seed-1', headers: [['X-Filler', 'f'.repeat(20000)]] })
]
