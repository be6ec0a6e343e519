/**
 * The same private Redis as redis-server.ts, in a Docker container through testcontainers, for
 * machines with a Docker engine and no redis-server (SELLER_STATE_TEST_REDIS=container). The host
 * port is fixed so that a test can stop the container and start a new one at the same address.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers'
import { freePort } from './free-port.js'
import type { RedisServerOptions, TestRedisServer } from './redis-server.js'

const IMAGE = 'redis:7'

function persistenceArgs (durable: boolean): string[] {
  return durable ? ['--save', '', '--appendonly', 'yes', '--appendfsync', 'always'] : ['--save', '', '--appendonly', 'no']
}

async function launch (port: number, dataDir: string | null): Promise<StartedTestContainer> {
  let container = new GenericContainer(IMAGE)
    .withCommand(['redis-server', ...persistenceArgs(dataDir !== null), '--enable-debug-command', 'yes'])
    .withExposedPorts({ container: 6379, host: port })
    .withWaitStrategy(Wait.forLogMessage('Ready to accept connections'))
  // A durable server's append-only file outlives its container, for the next one to load.
  if (dataDir !== null) container = container.withBindMounts([{ source: dataDir, target: '/data' }])
  return await container.start()
}

export async function startRedisContainer (port?: number, options: RedisServerOptions = {}): Promise<TestRedisServer> {
  port ??= await freePort()
  const dataDir = options.durable === true ? mkdtempSync(join(tmpdir(), 'seller-state-redis-')) : null
  let container: StartedTestContainer | null = await launch(port, dataDir)
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop () {
      // No grace period: Docker sends SIGKILL at once, as the outage tests mean.
      await container?.stop({ timeout: 0 })
      container = null
    },
    async start () {
      if (container === null) container = await launch(port, dataDir)
    },
    async freeze (ms) {
      // Redis is PID 1 in its container, which ignores SIGSTOP from inside: DEBUG SLEEP blocks it alike.
      await container?.exec(['redis-cli', 'DEBUG', 'SLEEP', String(ms / 1000)])
    }
  }
}
