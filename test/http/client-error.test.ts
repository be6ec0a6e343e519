/**
 * Requests Node handles before Fastify sees them (its parser's refusals, CONNECT, Expect,
 * Upgrade, a missing Host, a request never finished, a half-close) get the service's JSON answer,
 * with the security headers, over a real socket.
 */
import t from 'tap'
import { build } from '../helper.js'
import { rawRequest, sendRaw } from '../support/raw-http.js'

t.test('requests Node would answer bare or not at all get a JSON error with nosniff', async (t) => {
  const { app } = await build(t, { REQUEST_TIMEOUT_MS: '300' })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }

  const cases = [
    { name: 'headers over 16 KB', answer: rawRequest(port, { method: 'GET', target: '/health/live', headers: [['x-filler', 'a'.repeat(20_000)]] }), statusCode: 431, code: 'HEADERS_TOO_LARGE' },
    { name: 'a raw newline in the path', answer: sendRaw(port, Buffer.from('GET /seller/state/a\nb HTTP/1.1\r\nHost: x\r\n\r\n')), statusCode: 400, code: 'MALFORMED_REQUEST' },
    { name: 'not HTTP at all', answer: sendRaw(port, Buffer.from('hello\r\n\r\n')), statusCode: 400, code: 'MALFORMED_REQUEST' },
    { name: 'CONNECT', answer: rawRequest(port, { method: 'CONNECT', target: '127.0.0.1:6379' }), statusCode: 405, code: 'METHOD_NOT_ALLOWED' },
    { name: 'Expect other than 100-continue', answer: rawRequest(port, { method: 'GET', target: '/health/live', headers: [['Expect', 'x']] }), statusCode: 417, code: 'EXPECTATION_FAILED' },
    { name: 'Upgrade', answer: rawRequest(port, { method: 'GET', target: '/health/live', headers: [['Connection', 'Upgrade'], ['Upgrade', 'websocket']] }), statusCode: 400, code: 'UPGRADE_NOT_SUPPORTED' },
    { name: 'no Host', answer: rawRequest(port, { method: 'GET', target: '/health/live', omitHost: true }), statusCode: 400, code: 'MISSING_HOST' },
    { name: 'a body that never ends', answer: rawRequest(port, { method: 'PUT', target: '/seller/state/contact-1', headers: [['Content-Type', 'application/json'], ['Content-Length', '100']], body: '{' }), statusCode: 408, code: 'REQUEST_TIMEOUT' }
  ]
  for (const { name, answer, statusCode, code } of cases) {
    const res = await answer
    t.equal(res.status, statusCode, name)
    t.equal(res.headers['content-type'], 'application/json; charset=utf-8')
    t.equal(res.headers['x-content-type-options'], 'nosniff')
    t.match(JSON.parse(res.body.toString()), { statusCode, error: String, message: String, code })
  }
})

t.test('a client that half-closes after its request still gets the answer', async (t) => {
  const { app } = await build(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  const res = await rawRequest(port, { method: 'GET', target: '/seller/state/nobody' }, { halfClose: true })
  t.equal(res.status, 404)
})

t.test('bytes after a complete request do not replace its answer', async (t) => {
  const { app } = await build(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  const res = await sendRaw(port, Buffer.from('DELETE /seller/state/contact-1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n{}'))
  t.equal(res.status, 204, 'the DELETE is answered as done')
})
