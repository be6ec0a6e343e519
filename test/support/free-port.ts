/**
 * A TCP port free on the loopback interface now (the tests and the benchmark start servers on it).
 */
import { once } from 'node:events'
import { createServer } from 'node:net'

/** Listens on the port (0: any) and closes again; the port it got, or null when it is taken. */
async function tryPort (port: number): Promise<number | null> {
  const server = createServer()
  server.listen(port, '127.0.0.1')
  const [event] = await Promise.race([once(server, 'listening').then(() => ['listening']), once(server, 'error').then(() => ['error'])])
  if (event === 'error') return null
  const { port: bound } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return bound
}

export async function freePort (): Promise<number> {
  return await tryPort(0) as number
}

// Redis Cluster listens on P and on its bus port P + 10000, which must stay below 65536.
export const CLUSTER_BUS_OFFSET = 10000

/** A free port P whose cluster bus port P + 10000 is free too. */
export async function freeClusterPort (): Promise<number> {
  for (;;) {
    const port = await freePort()
    if (port + CLUSTER_BUS_OFFSET < 65536 && await tryPort(port + CLUSTER_BUS_OFFSET) !== null) return port
  }
}
