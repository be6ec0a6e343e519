/**
 * `npm run move-to-cluster` refuses a bad command line with exit code 2 and a message naming the
 * argument, before connecting anywhere; a Redis that is not a cluster is a failure (exit code 1).
 * The move itself runs on a real cluster: test/cluster/move-to-cluster.cluster.ts.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { startRedisServer } from '../support/redis-server.js'
import { parseMoveArguments, USAGE } from '../../scripts/move-arguments.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

async function move (args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const child = spawn(process.execPath, ['--import=@tapjs/typescript/import', 'scripts/move-to-cluster.ts', ...args],
    { cwd: ROOT, env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1' }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const [code] = await once(child, 'exit') as [number | null]
  return { code, stdout, stderr }
}

const nodes = '127.0.0.1:7000,127.0.0.1:7001'

t.test('bad arguments: each named in the message', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['--to', nodes], /--from is required/],
    [['--from', 'http://127.0.0.1:6379', '--to', nodes], /--from must be a redis:\/\/ or rediss:\/\/ URL/],
    [['--from', 'redis://127.0.0.1:6379'], /--to is required/],
    [['--from', 'redis://127.0.0.1:6379', '--to', '127.0.0.1:7000,nowhere'], /--to entry 2 must be host:port \(got "nowhere"\)/],
    [['--from', 'redis://127.0.0.1:6379', '--to', nodes, '--buckets', '0'], /--buckets must be an integer from 1 to 1024 \(got "0"\)/],
    [['--from', 'redis://127.0.0.1:6379', '--to', nodes, '--batch', '2.5'], /--batch must be an integer from 1 to 10000 \(got "2.5"\)/],
    [['--from', 'redis://127.0.0.1:6379', '--to', nodes, '--prefix', 'a{b}:'], /--prefix must be 1-64 characters without \{ or \}/],
    [['--from', 'redis://127.0.0.1:6379', '--to', nodes, '--frobnicate'], /Unknown option '--frobnicate'/]
  ]
  for (const [args, message] of cases) t.throws(() => parseMoveArguments(args), { name: 'ArgumentError', message }, args.join(' '))
  t.same(parseMoveArguments(['--from', 'redis://127.0.0.1:6379', '--to', nodes]),
    { from: 'redis://127.0.0.1:6379', to: [{ host: '127.0.0.1', port: 7000 }, { host: '127.0.0.1', port: 7001 }], prefix: 'seller:', buckets: 12, batch: 500 })
})

t.test('a bad argument: exit code 2 and the usage, before connecting anywhere', async (t) => {
  const run = await move(['--from', 'redis://127.0.0.1:6379', '--to', nodes, '--buckets', 'many'])
  t.equal(run.code, 2)
  t.equal(run.stderr, `move-to-cluster: --buckets must be an integer from 1 to 1024 (got "many")\n${USAGE}\n`)
  t.equal(run.stdout, '')
})

t.test('a --to that is not a cluster: exit code 1 with the reason', async (t) => {
  const server = await startRedisServer()
  t.teardown(() => server.stop())
  const run = await move(['--from', server.url, '--to', `127.0.0.1:${server.port}`])
  t.equal(run.code, 1)
  t.match(run.stderr, /^move-to-cluster failed: cannot reach a cluster at --to: .+\n$/)
  t.equal(run.stdout, '')
})
