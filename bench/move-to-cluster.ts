/**
 * `npm run bench:move` (not in CI): times `move-to-cluster` on MOVE_CONTACTS contacts (100,000 by
 * default), from a private redis-server to a private 3-master cluster, then a second run (which
 * must copy nothing), and checks that the cluster holds and indexes every contact.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { createKeySpace } from '../src/redis/keys.js'
import { startRedis } from './processes.js'
import { positive } from './settings.js'
import { populateThroughScripts } from './populate-scripts.js'
import { startRedisCluster } from '../test/support/redis-cluster.js'
import { scanKeys } from '../test/support/scan-keys.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const contacts = Math.round(positive('MOVE_CONTACTS', 100_000))
const PREFIX = 'seller:'
const BUCKETS = 12

async function move (from: string, to: string): Promise<{ seconds: number, line: string }> {
  const started = Date.now()
  const child = spawn(process.execPath, ['--import=@tapjs/typescript/import', 'scripts/move-to-cluster.ts', '--from', from, '--to', to],
    { cwd: ROOT, env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1' }, stdio: ['ignore', 'pipe', 'inherit'] })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const [code] = await once(child, 'exit') as [number]
  if (code !== 0) throw new Error(`move-to-cluster exited with ${code}: ${output}`)
  return { seconds: (Date.now() - started) / 1000, line: output.trim() }
}

const load = (): string => loadavg().map((value) => value.toFixed(2)).join(', ')

const source = await startRedis()
const cluster = await startRedisCluster()
const single = new Redis(source.url, { enableAutoPipelining: true })
const client = cluster.client()
try {
  const populateStarted = Date.now()
  await populateThroughScripts(single, createKeySpace(PREFIX), 0, contacts, Date.now())
  console.log(`populated ${contacts} contacts through write-state.lua in ${((Date.now() - populateStarted) / 1000).toFixed(1)} s`)
  console.log(`load average before the move: ${load()}`)
  const first = await move(source.url, cluster.nodes)
  console.log(`first run (${first.seconds.toFixed(1)} s wall, process start included): ${first.line}`)
  console.log(`load average after it: ${load()}`)
  const second = await move(source.url, cluster.nodes)
  console.log(`second run (${second.seconds.toFixed(1)} s wall): ${second.line}`)
  const keys = createKeySpace(PREFIX, BUCKETS)
  const states = (await scanKeys(client, `${PREFIX}{*}:state:*`)).length
  let indexed = 0
  for (let i = 0; i < BUCKETS; i++) indexed += await client.zcard(keys.bucket(i).activeIndex)
  console.log(`cluster: ${states} state keys, ${indexed} in the active indexes (expected ${contacts} each)`)
  if (states !== contacts || indexed !== contacts) process.exitCode = 1
} finally {
  single.disconnect()
  client.disconnect()
  await cluster.stop()
  await source.stop()
}
