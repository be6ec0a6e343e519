/**
 * A private Redis primary with replicas, watched by sentinels (redis-server --sentinel), all on
 * loopback and stopped by PID (and killed when the test process exits, as redis-server.ts kills
 * its servers). The sentinels decide quickly (down-after and failover-timeout in ms are options)
 * so that a failover takes seconds.
 */
import { type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { freePort } from './free-port.js'
import { replicaInSync, REPLICATION_ARGS, serverDir, spawnRedisServer } from './redis-server.js'

const HOST = '127.0.0.1'

export interface SentinelOptions {
  /** The master group's name (REDIS_SENTINEL_NAME). */
  name?: string
  replicas?: number
  sentinels?: number
  downAfterMs?: number
  failoverTimeoutMs?: number
}

export interface TestRedisSentinel {
  name: string
  /** REDIS_SENTINELS: `127.0.0.1:port,...`. */
  sentinels: string
  /** The ports of the data nodes: the first primary first. */
  ports: number[]
  /** The primary as the sentinels name it now (its port). */
  primary: () => Promise<number>
  /** SIGKILL of one data node. */
  kill: (port: number) => Promise<void>
  /** Starts a killed data node again, empty, as a replica of the current primary. */
  restart: (port: number) => Promise<void>
  /** SIGKILL of everything, then the directories removed. */
  stop: () => Promise<void>
}

async function killProcess (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.ref() // keep the test process alive until it is gone
  child.kill('SIGKILL')
  await exited
}

export async function startRedisSentinel ({ name = 'seller', replicas = 1, sentinels = 3, downAfterMs = 1000, failoverTimeoutMs = 3000 }: SentinelOptions = {}): Promise<TestRedisSentinel> {
  const dirs: string[] = []
  const dataNodes = new Map<number, ChildProcess>()
  const others: ChildProcess[] = []
  const startData = async (port: number, primaryPort: number | null): Promise<void> => {
    const dir = serverDir()
    dirs.push(dir)
    dataNodes.set(port, await spawnRedisServer(['--port', String(port), '--dir', dir, '--save', '', '--appendonly', 'no', ...REPLICATION_ARGS,
      ...(primaryPort === null ? [] : ['--replicaof', HOST, String(primaryPort)])]))
  }
  const primaryPort = await freePort()
  await startData(primaryPort, null)
  const replicaPorts: number[] = []
  for (let i = 0; i < replicas; i++) replicaPorts.push(await freePort())
  for (const port of replicaPorts) await startData(port, primaryPort)
  // A replica that has not finished its first sync holds nothing: a failover to it would lose all.
  await Promise.all(replicaPorts.map(replicaInSync))

  const sentinelPorts: number[] = []
  for (let i = 0; i < sentinels; i++) {
    const port = await freePort()
    const dir = serverDir()
    dirs.push(dir)
    // A sentinel rewrites its configuration file: one of its own, in its own directory.
    const configFile = join(dir, 'sentinel.conf')
    writeFileSync(configFile, [
      `sentinel monitor ${name} ${HOST} ${primaryPort} ${Math.floor(sentinels / 2) + 1}`,
      `sentinel down-after-milliseconds ${name} ${downAfterMs}`,
      `sentinel failover-timeout ${name} ${failoverTimeoutMs}`,
      `sentinel parallel-syncs ${name} 1`, ''
    ].join('\n'))
    others.push(await spawnRedisServer(['--port', String(port), '--dir', dir, '--sentinel'], { configFile, readyLine: '+monitor master' }))
    sentinelPorts.push(port)
  }

  const askSentinel = async (): Promise<number> => {
    for (const port of sentinelPorts) {
      const sentinel = new Redis({ host: HOST, port, lazyConnect: true, maxRetriesPerRequest: 0 })
      try {
        const address = await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name) as [string, string] | null
        if (address !== null) return Number(address[1])
      } catch {
        // the next sentinel
      } finally {
        sentinel.disconnect()
      }
    }
    throw new Error('no sentinel names a primary')
  }

  return {
    name,
    sentinels: sentinelPorts.map((port) => `${HOST}:${port}`).join(','),
    ports: [...dataNodes.keys()],
    primary: askSentinel,
    async kill (port) {
      const child = dataNodes.get(port)
      dataNodes.delete(port)
      if (child !== undefined) await killProcess(child)
    },
    async restart (port) {
      await startData(port, await askSentinel())
      await replicaInSync(port)
    },
    async stop () {
      await Promise.all([...dataNodes.values(), ...others].map(killProcess))
      dataNodes.clear()
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
    }
  }
}
