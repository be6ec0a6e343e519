/**
 * A private redis-server for one test file, on a free port, that a test may kill and start again
 * on the same port (to play an outage). Killed when the test process exits.
 *
 * A durable server writes every command to its append-only file before answering (appendonly yes,
 * appendfsync always, as docker-compose.yml runs Redis), so that what it acknowledged survives a
 * SIGKILL; a plain one keeps nothing and starts again empty.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { freePort } from './free-port.js'

export interface RedisServerOptions {
  durable?: boolean
}

export interface TestRedisServer {
  url: string
  port: number
  /** Kills the server with SIGKILL; clients see connection refused. */
  stop: () => Promise<void>
  /** Starts it again on the same port: empty, or with what a durable server had acknowledged. */
  start: () => Promise<void>
  /** Freezes the server for that long (SIGSTOP then SIGCONT): connections stay open, nothing answers. */
  freeze: (ms: number) => Promise<void>
}

const children = new Set<ChildProcess>()
const dataDirs = new Set<string>()
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL')
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true })
})

/** A directory of its own for a server's files, removed when the test process exits. */
export function serverDir (): string {
  const dir = mkdtempSync(join(tmpdir(), 'seller-state-redis-'))
  dataDirs.add(dir)
  return dir
}

function persistenceArgs (dataDir: string | null): string[] {
  if (dataDir === null) return ['--save', '', '--appendonly', 'no']
  return ['--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dataDir]
}

async function launch (port: number, dataDir: string | null): Promise<ChildProcess> {
  return await spawnRedisServer(['--port', String(port), ...persistenceArgs(dataDir), '--enable-debug-command', 'yes'])
}

/**
 * For servers with replicas: a first sync at once. Redis 7 waits 5 s by default before a diskless
 * sync, for more replicas to come; a test that kills the primary sooner would fail over to a
 * replica holding nothing.
 */
export const REPLICATION_ARGS = ['--repl-diskless-sync-delay', '0']

const REPLICA_SYNC_TIMEOUT_MS = 30_000

/** Waits until the replica on this port has finished its sync with its primary. */
export async function replicaInSync (port: number): Promise<void> {
  const replica = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 0 })
  try {
    const deadline = Date.now() + REPLICA_SYNC_TIMEOUT_MS
    while (!/^master_link_status:up/m.test(await replica.info('replication'))) {
      if (Date.now() > deadline) throw new Error(`the replica on ${port} did not sync in ${REPLICA_SYNC_TIMEOUT_MS} ms`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  } finally {
    replica.disconnect()
  }
}

export interface SpawnOptions {
  /** A configuration file, which redis-server takes only as its first argument (a sentinel needs one it can rewrite). */
  configFile?: string
  /** The line that says the process is ready; a sentinel prints another than a server. */
  readyLine?: string
}

/** Starts redis-server on loopback with these arguments; resolves once it accepts connections. */
export async function spawnRedisServer (args: string[], { configFile, readyLine = 'Ready to accept connections' }: SpawnOptions = {}): Promise<ChildProcess> {
  const child = spawn('redis-server', [...(configFile === undefined ? [] : [configFile]), '--bind', '127.0.0.1', '--loglevel', 'notice', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  children.add(child)
  child.once('exit', () => children.delete(child))
  // redis-server prints this line once it accepts connections (after loading its AOF).
  let output = ''
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString()
      if (output.includes(readyLine)) resolve()
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)))
  })
  // The server must not keep the test process alive; the exit hook above kills it.
  child.unref()
  for (const stream of [child.stdout, child.stderr]) (stream as unknown as { unref: () => void }).unref()
  return child
}

export async function startRedisServer (port?: number, options: RedisServerOptions = {}): Promise<TestRedisServer> {
  const chosenPort = port ?? await freePort()
  const dataDir = options.durable === true ? serverDir() : null
  let child: ChildProcess | null = await launch(chosenPort, dataDir)
  return {
    url: `redis://127.0.0.1:${chosenPort}`,
    port: chosenPort,
    async stop () {
      if (child === null) return
      const exited = once(child, 'exit')
      child.ref() // keep the test process alive until the server is gone
      child.kill('SIGKILL')
      await exited
      child = null
    },
    async start () {
      if (child === null) child = await launch(chosenPort, dataDir)
    },
    async freeze (ms) {
      child?.kill('SIGSTOP')
      await new Promise((resolve) => setTimeout(resolve, ms))
      child?.kill('SIGCONT')
    }
  }
}
