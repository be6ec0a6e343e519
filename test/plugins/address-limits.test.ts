/**
 * What one address can send without a valid token is bounded (issue 11): failed authentications
 * past AUTH_FAILURE_LIMIT get 429 with Retry-After and are summed up in the log instead of a line
 * each, /docs has its own budget per address, and a replica closes connections past
 * MAX_CONNECTIONS at once.
 */
import { connect, type Socket } from 'node:net'
import { once } from 'node:events'
import t from 'tap'
import { build } from '../helper.js'

const READ = 'read-token-0123456789abcdef'
const KEYS = { API_KEYS: `read:${READ}` }
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` })

t.test('past AUTH_FAILURE_LIMIT an address gets 429 for its failures; a valid token still passes; one summary line', async (t) => {
  const lines: Array<Record<string, unknown>> = []
  const logger = { level: 'info', stream: { write: (line: string) => { lines.push(JSON.parse(line) as Record<string, unknown>) } } }
  const { app } = await build(t, { ...KEYS, AUTH_FAILURE_LIMIT: '5' }, undefined, { logger })
  const statuses: number[] = []
  for (let i = 0; i < 8; i++) statuses.push((await app.inject({ url: '/seller/active', headers: bearer('wrong-token-0123456789') })).statusCode)
  t.same(statuses, [401, 401, 401, 401, 401, 429, 429, 429], 'five 401s, then 429s')
  const limited = await app.inject({ url: '/seller/active' })
  t.equal(limited.statusCode, 429, 'no token at all counts too')
  t.match(limited.json(), { code: 'RATE_LIMITED', message: /Too many failed authentications from this address/ })
  t.ok(Number(limited.headers['retry-after']) > 0, `Retry-After: ${String(limited.headers['retry-after'])}`)
  t.equal(limited.headers.connection, 'close', 'and its connection is closed')
  t.equal((await app.inject({ url: '/seller/active', headers: bearer(READ) })).statusCode, 200, 'the valid token of the same address passes')
  t.equal((await app.inject({ url: '/health/ready' })).statusCode, 200, 'health is open')

  await app.close()
  t.same(lines.filter((line) => line.msg === 'Request refused'), [], 'no line per failure')
  const summary = lines.filter((line) => line.msg === 'Failed authentications')
  t.equal(summary.length, 1, 'one summary line')
  t.match(summary[0], { level: 40, failures: 9, limited: 4, addresses: 1, top: [{ address: '127.0.0.1', count: 9 }] })
})

t.test('/docs has a budget per address', async (t) => {
  const { app } = await build(t, { ...KEYS, DOCS_RATE_LIMIT: '3' })
  const statuses: number[] = []
  for (let i = 0; i < 4; i++) statuses.push((await app.inject({ url: i % 2 === 0 ? '/docs/json' : '/docs' })).statusCode)
  t.same(statuses.slice(0, 3).map((status) => status < 400), [true, true, true], 'three pages')
  const limited = await app.inject({ url: '/docs/json' })
  t.equal(limited.statusCode, 429)
  t.match(limited.json(), { code: 'RATE_LIMITED', message: /Too many requests from this address/ })
  t.ok(Number(limited.headers['retry-after']) > 0)
  t.equal((await app.inject({ url: '/seller/active', headers: bearer(READ) })).statusCode, 200, 'the API is not affected')
})

t.test('a replica closes connections past MAX_CONNECTIONS at once', async (t) => {
  const { app } = await build(t, { MAX_CONNECTIONS: '2' })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  /** Opens a connection and asks for /health/live on it; what came back, once it closes or answers. */
  const ask = async (): Promise<{ socket: Socket, answer: Promise<string> }> => {
    const socket = connect(port, '127.0.0.1')
    await once(socket, 'connect')
    socket.write('GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n')
    let data = ''
    const answer = new Promise<string>((resolve) => {
      socket.on('data', (chunk: Buffer) => { data += chunk.toString(); if (data.includes('"ok"')) resolve(data) })
      socket.on('close', () => resolve(data))
      socket.on('error', () => resolve(data))
    })
    return { socket, answer }
  }
  const first = await ask()
  const second = await ask()
  t.match(await first.answer, /^HTTP\/1.1 200/, 'the first connection is served')
  t.match(await second.answer, /^HTTP\/1.1 200/, 'the second too')
  const third = await ask()
  t.equal(await third.answer, '', 'the third is closed without an answer')
  first.socket.destroy()
  await once(first.socket, 'close')
  await new Promise((resolve) => setTimeout(resolve, 50))
  const fourth = await ask()
  t.match(await fourth.answer, /^HTTP\/1.1 200/, 'once one closed, a new one is served')
  for (const { socket } of [second, third, fourth]) socket.destroy()
})
