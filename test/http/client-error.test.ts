/**
 * Requests Node's HTTP parser rejects before Fastify sees them get the service's JSON error, with
 * the security headers, over a real socket.
 */
import t from 'tap'
import { build } from '../helper.js'
import { rawRequest, sendRaw } from '../support/raw-http.js'

t.test('malformed requests get a JSON 400 or 431 with nosniff', async (t) => {
  const { app } = await build(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }

  const cases = [
    { name: 'headers over 16 KB', answer: rawRequest(port, { method: 'GET', target: '/health/live', headers: [['x-filler', 'a'.repeat(20_000)]] }), statusCode: 431, code: 'HEADERS_TOO_LARGE' },
    { name: 'a raw newline in the path', answer: sendRaw(port, Buffer.from('GET /seller/state/a\nb HTTP/1.1\r\nHost: x\r\n\r\n')), statusCode: 400, code: 'MALFORMED_REQUEST' },
    { name: 'not HTTP at all', answer: sendRaw(port, Buffer.from('hello\r\n\r\n')), statusCode: 400, code: 'MALFORMED_REQUEST' }
  ]
  for (const { name, answer, statusCode, code } of cases) {
    const res = await answer
    t.equal(res.status, statusCode, name)
    t.equal(res.headers['content-type'], 'application/json; charset=utf-8')
    t.equal(res.headers['x-content-type-options'], 'nosniff')
    t.match(JSON.parse(res.body.toString()), { statusCode, error: String, message: String, code })
  }
})
