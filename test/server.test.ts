/**
 * The real entry point, as `npm start` runs it: listens, serves, and on SIGTERM closes and exits 0.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import t from 'tap'
import { freePort } from './support/free-port.js'
import { privateRedis } from './helper.js'

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
