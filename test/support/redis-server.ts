/**
 * A private redis-server for one test file, on a free port, that a test may stop and start again
 * on the same port (to play an outage). Killed when the test process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { freePort } from './free-port.js'

export interface TestRedisServer {
  url: string
  port: number
  /** Stops the server; clients see connection refused. */
  stop: () => Promise<void>
  /** Starts it again on the same port, empty. */
  start: () => Promise<void>
}

const children = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})

async function launch (port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'notice', '--enable-debug-command', 'yes'
  ], { stdio: ['ignore', 'pipe', 'pipe'] })
  children.add(child)
  child.once('exit', () => children.delete(child))
  // redis-server prints this line once it accepts connections, at loglevel notice.
  let output = ''
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString()
      if (output.includes('Ready to accept connections')) resolve()
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

export async function startRedisServer (port?: number): Promise<TestRedisServer> {
  const chosenPort = port ?? await freePort()
  let child: ChildProcess | null = await launch(chosenPort)
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
      if (child === null) child = await launch(chosenPort)
    }
  }
}
