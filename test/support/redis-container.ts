/**
 * The same private Redis as redis-server.ts, in a Docker container through testcontainers, for
 * machines with a Docker engine and no redis-server (SELLER_STATE_TEST_REDIS=container). The host
 * port is fixed so that a test can stop the container and start a new one at the same address.
 */
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers'
import { freePort } from './free-port.js'
import type { TestRedisServer } from './redis-server.js'

const IMAGE = 'redis:7'

async function launch (port: number): Promise<StartedTestContainer> {
  return new GenericContainer(IMAGE)
    .withCommand(['redis-server', '--save', '', '--appendonly', 'no', '--enable-debug-command', 'yes'])
    .withExposedPorts({ container: 6379, host: port })
    .withWaitStrategy(Wait.forLogMessage('Ready to accept connections'))
    .start()
}

export async function startRedisContainer (port?: number): Promise<TestRedisServer> {
  port ??= await freePort()
  let container: StartedTestContainer | null = await launch(port)
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop () {
      await container?.stop()
      container = null
    },
    async start () {
      if (container === null) container = await launch(port)
    }
  }
}
