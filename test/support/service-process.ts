/**
 * The real service in a process of its own, started as `npm start` starts it (src/server.ts, or
 * the build in dist/ as deployed), for tests that signal or kill it and for the soak. Its JSON log
 * lines are kept for the test to read.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process'
import { once } from 'node:events'
import type { Readable } from 'node:stream'
import { freePort } from './free-port.js'

export interface ServiceProcess {
  url: string
  pid: number
  /** Every log line written so far, parsed. */
  logLines: () => Array<Record<string, unknown>>
  /** Everything it wrote, as written (to search for what must never be logged). */
  output: () => string
  /** Resolves with the exit code (null after a signal) and the signal. */
  exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  kill: (signal: NodeJS.Signals) => void
}

const running = new Set<ServiceProcess>()
process.on('exit', () => { for (const service of running) service.kill('SIGKILL') })

export interface ServiceOptions {
  /** Runs dist/src/server.js (npm run build first) instead of the TypeScript sources. */
  built?: boolean
}

/** Starts the service with these environment variables and waits until it answers. */
export async function startService (env: Record<string, string>, { built = false }: ServiceOptions = {}): Promise<ServiceProcess> {
  const port = await freePort()
  // The parent's loader flags (tap's TypeScript import) let the child run src/server.ts as it is.
  const args = built ? ['dist/src/server.js'] : [...process.execArgv, 'src/server.ts']
  const child: ChildProcessByStdio<null, Readable, Readable> = spawn(process.execPath, args, {
    env: { ...process.env, LOG_LEVEL: 'info', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let text = ''
  child.stdout.on('data', (chunk: Buffer) => { text += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { text += chunk.toString() })
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }))
  const service: ServiceProcess = {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid ?? -1,
    output: () => text,
    logLines: () => text.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>),
    exited,
    kill: (signal) => { child.kill(signal) }
  }
  running.add(service)
  exited.then(() => running.delete(service), () => {})

  // Listening, whatever LOG_LEVEL says: /health/live answers (never needs Redis).
  const deadline = Date.now() + 30_000
  for (;;) {
    if (await fetch(`${service.url}/health/live`).then((res) => res.ok, () => false)) break
    const gone = await Promise.race([exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), 50))])
    if (gone !== null) throw new Error(`the service exited with ${gone.code} before listening:\n${text}`)
    if (Date.now() > deadline) throw new Error(`the service did not listen within 30 s:\n${text}`)
  }
  return service
}
