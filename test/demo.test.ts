/**
 * npm run demo, against a running service with access control: it plays the conversation to
 * QUALIFIED, shows the summary, and leaves nothing behind.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import t from 'tap'
import { build } from './helper.js'

const WRITE = 'write-token-0123456789abcdef'

/** Runs scripts/demo.ts with these arguments and environment; its exit code and all it printed. */
async function runDemo (args: string[], env: Record<string, string>): Promise<{ code: number | null, output: string }> {
  const child = spawn(process.execPath, [...process.execArgv, 'scripts/demo.ts', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const [code] = await once(child, 'exit')
  return { code: code as number | null, output }
}

t.test('the demo plays a seller from Q0 to QUALIFIED through the client', async (t) => {
  const { app, redis, config } = await build(t, { API_KEYS: `write:${WRITE}` })
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  const { code, output } = await runDemo([], { SELLER_STATE_URL: url, SELLER_STATE_TOKEN: WRITE })
  t.equal(code, 0, output)
  for (const stage of ['Q1', 'Q2', 'Q3', 'Q4', 'QUALIFIED']) t.match(output, new RegExp(`-> stage ${stage}`))
  t.match(output, /dashboard row: \{"stage":"QUALIFIED","temperature":"HOT","is_qualified":true\}/)
  t.match(output, /the demo leaves nothing behind/)
  t.same(await redis.keys(`${config.keyPrefix}state:*`), [], 'its contact is gone')
})

t.test('--seed fills the service with varied conversations, --live keeps some moving', async (t) => {
  const { app } = await build(t, { API_KEYS: `write:${WRITE}` })
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  const { code, output } = await runDemo(['--seed', '120', '--live', '--duration', '2', '--interval', '50'], { SELLER_STATE_URL: url, SELLER_STATE_TOKEN: WRITE })
  t.equal(code, 0, output)
  t.match(output, /seeded 120 conversations/)
  t.match(output, /live: \d+ writes/)
  const summary = JSON.parse((await app.inject({ url: '/seller/active/summary', headers: { authorization: `Bearer ${WRITE}` } })).body)
  t.ok(summary.total >= 110, `about 120 active (some handed over by --live): ${summary.total as number}`)
  for (const stage of ['Q0', 'Q1', 'Q2', 'Q3', 'Q4', 'QUALIFIED', 'STALLED']) t.ok(summary.by_stage[stage] > 0, `some at ${stage}`)
  for (const temperature of ['HOT', 'WARM', 'COLD']) t.ok(summary.by_temperature[temperature] > 0, `some ${temperature}`)
  t.ok(summary.stalled > 0, 'some stalled')
  const locations = JSON.parse((await app.inject({ url: '/seller/active?page_size=200', headers: { authorization: `Bearer ${WRITE}` } })).body)
    .conversations.map((c: { location_id: string }) => c.location_id)
  t.ok(new Set(locations).size >= 3, 'several locations')
})

t.test('without the service the demo says so and exits 1', async (t) => {
  const { code, output } = await runDemo([], { SELLER_STATE_URL: 'http://127.0.0.1:1' })
  t.equal(code, 1)
  t.match(output, /could not reach the service/)
})
