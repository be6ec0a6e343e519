/**
 * The real entry point, as `npm start` runs it: listens, serves, and on SIGTERM closes and exits 0.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import t from 'tap'
import { freePort } from './support/free-port.js'
import { Redis } from 'ioredis'
import { botState, privateRedis } from './helper.js'

t.test('the server listens, answers, logs JSON and exits 0 on SIGTERM', async (t) => {
  const redis = await privateRedis(t)
  const port = await freePort()
  const child = spawn(process.execPath, [...process.execArgv, 'src/server.ts'], {
    env: { ...process.env, PORT: String(port), REDIS_URL: redis.url, KEY_PREFIX: 'server-test:' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  t.teardown(() => { child.kill('SIGKILL') })
  let stdout = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  await new Promise<void>((resolve) => {
    child.stdout.on('data', () => { if (stdout.includes('Server listening')) resolve() })
  })

  const res = await fetch(`http://127.0.0.1:${port}/health/ready`)
  t.equal(res.status, 200)
  t.same(await res.json(), { status: 'ok', redis: 'ready' })

  child.kill('SIGTERM')
  const [code] = await once(child, 'exit')
  t.equal(code, 0, 'a graceful shutdown exits 0')
  const lines = stdout.trim().split('\n').map((line) => JSON.parse(line) as { msg: string })
  t.ok(lines.some((line) => line.msg === 'Shutting down'), 'the shutdown is logged as JSON')
})

t.test('SIGTERM lets a request in flight finish before the process exits 0', async (t) => {
  const redis = await privateRedis(t)
  const port = await freePort()
  const child = spawn(process.execPath, [...process.execArgv, 'src/server.ts'], {
    env: { ...process.env, PORT: String(port), REDIS_URL: redis.url, KEY_PREFIX: 'shutdown-test:', REDIS_COMMAND_TIMEOUT_MS: '5000', SHUTDOWN_GRACE_MS: '5000' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  t.teardown(() => { child.kill('SIGKILL') })
  await new Promise<void>((resolve) => {
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); if (out.includes('Server listening')) resolve() })
  })
  const base = `http://127.0.0.1:${port}/seller/state/contact-1`
  const put = await fetch(base, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(botState()) })
  t.equal(put.status, 201)

  // Redis holds the next request for 700 ms; the SIGTERM arrives while it waits.
  const sleeper = new Redis(redis.url)
  t.teardown(() => sleeper.disconnect())
  const asleep = sleeper.call('DEBUG', 'SLEEP', '0.7')
  await new Promise((resolve) => setTimeout(resolve, 50))
  const inFlight = fetch(base)
  await new Promise((resolve) => setTimeout(resolve, 100))
  child.kill('SIGTERM')

  const res = await inFlight
  t.equal(res.status, 200, 'the request in flight got its answer')
  t.equal(JSON.parse(await res.text()).contact_id, 'contact-1')
  const [code] = await once(child, 'exit')
  t.equal(code, 0)
  await asleep
  await fetch(base).then(() => t.fail('a new request after the shutdown must not be served'), () => t.pass('new connections are refused after the shutdown'))
})
