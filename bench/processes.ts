/**
 * The benchmark's child processes: a private redis-server, the built service (this checkout's or
 * an earlier build's), the floor (the cheapest Redis-backed route) and the bare Fastify ceiling.
 * Each runs on the CPUs it is given (pinning.ts), or anywhere; each is stopped by its own pid; all
 * are killed if the benchmark dies. (The private Redis Cluster is the test support's,
 * test/support/redis-cluster.ts.)
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { freePort } from '../test/support/free-port.js'
import { fileURLToPath } from 'node:url'
import { onCpus } from './pinning.js'

export interface Child {
  url: string
  port: number
  pid: number
  stop: () => Promise<void>
  /** The last few KB the process printed, for error messages. */
  output: () => string
}

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const children = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})

export interface LaunchOptions {
  /** The directory the child runs in: this checkout by default, another for an earlier build. */
  cwd?: string
  /** A taskset CPU list (pinning.ts); anywhere when undefined. */
  cpus?: string
}

/** Starts a child, keeps the tail of its output for error messages. */
function launch (command: string, args: string[], env: NodeJS.ProcessEnv, { cwd = ROOT, cpus }: LaunchOptions = {}): { child: ChildProcess, output: () => string } {
  const child = spawn(...onCpus(cpus, command, args), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
  children.add(child)
  child.once('exit', () => children.delete(child))
  let tail = ''
  const keep = (chunk: Buffer): void => { tail = (tail + chunk.toString()).slice(-4000) }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  return { child, output: () => tail }
}

async function stopChild (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

async function waitFor (what: string, check: () => Promise<boolean>, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}:\n${output()}`)
    if (await check().catch(() => false)) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  child.kill('SIGKILL')
  throw new Error(`${what} did not become ready in 20 s:\n${output()}`)
}

/** A private redis-server on a free port, without persistence. */
export async function startRedis (cpus?: string): Promise<Child> {
  const port = await freePort()
  const { child, output } = launch('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'notice'
  ], process.env, { cpus })
  await waitFor('redis-server', async () => output().includes('Ready to accept connections'), child, output)
  return { url: `redis://127.0.0.1:${port}`, port, pid: child.pid as number, stop: () => stopChild(child), output }
}

/** A Node process serving HTTP; `env` is its whole environment. */
async function startHttp (what: string, args: string[], env: NodeJS.ProcessEnv, readyPath: string, options: LaunchOptions = {}): Promise<Child> {
  const port = await freePort()
  const { child, output } = launch(process.execPath, args, { ...env, PORT: String(port) }, options)
  const url = `http://127.0.0.1:${port}`
  await waitFor(what, async () => (await fetch(url + readyPath)).status === 200, child, output)
  return { url, port, pid: child.pid as number, stop: () => stopChild(child), output }
}

export interface ServiceOptions {
  /** CPU list (pinning.ts); anywhere when undefined. */
  cpus?: string
  /** Options of node itself, such as --cpu-prof. */
  nodeArgs?: string[]
  /** The checkout whose build runs: this one by default, another for an earlier build. */
  checkout?: string
}

/** A single Redis's URL, or the seed nodes (`host:port,...`) and bucket count of a Redis Cluster. */
export type RedisTarget = string | { clusterNodes: string, buckets: number }

function redisEnv (redis: RedisTarget): NodeJS.ProcessEnv {
  if (typeof redis === 'string') return { REDIS_URL: redis }
  return { REDIS_CLUSTER_NODES: redis.clusterNodes, REDIS_CLUSTER_BUCKETS: String(redis.buckets) }
}

/**
 * The built service (dist/src/server.js of `checkout`, this one by default: another checkout is
 * an earlier build to compare with) against the given Redis, under its own key prefix, with
 * its default configuration otherwise (BENCH_REDIS_COMMAND_TIMEOUT_MS overrides the command
 * timeout, to time listings that outlast the default 1 s instead of seeing them fail). `env`
 * overrides any of it (the soak runs the periodic sweep and a short idempotency TTL).
 */
export async function startService (redis: RedisTarget, keyPrefix: string, env: NodeJS.ProcessEnv = {}, { cpus, nodeArgs = [], checkout = ROOT }: ServiceOptions = {}): Promise<Child> {
  const timeout = process.env.BENCH_REDIS_COMMAND_TIMEOUT_MS
  // The service refuses REDIS_URL and REDIS_CLUSTER_NODES together: none comes from this process.
  const { REDIS_URL: _url, REDIS_CLUSTER_NODES: _nodes, ...inherited } = process.env
  return await startHttp('the service', [...nodeArgs, 'dist/src/server.js'], {
    ...inherited,
    ...(timeout === undefined || timeout === '' ? {} : { REDIS_COMMAND_TIMEOUT_MS: timeout }),
    NODE_ENV: 'production',
    // Without access control, like the ceiling: the two do the same work but for the service's own.
    ALLOW_ANONYMOUS: 'true',
    HOST: '127.0.0.1',
    ...redisEnv(redis),
    LOG_LEVEL: 'warn',
    KEY_PREFIX: keyPrefix,
    SWEEP_INTERVAL_SECONDS: '0',
    ...env
  }, '/health/ready', { cwd: checkout, cpus })
}

/** The bare Fastify app, through the same TypeScript loader as this process. */
export async function startCeiling (cpus?: string): Promise<Child> {
  return await startHttp('the ceiling server', [...process.execArgv, 'bench/ceiling-server.ts'], process.env, '/health', { cpus })
}

/** The minimal Fastify + ioredis route (floor-server.ts) against the given Redis, under its own key prefix. */
export async function startFloor (redisUrl: string, keyPrefix: string, cpus?: string): Promise<Child> {
  return await startHttp('the floor server', [...process.execArgv, 'bench/floor-server.ts'],
    { ...process.env, REDIS_URL: redisUrl, KEY_PREFIX: keyPrefix }, '/health', { cpus })
}
