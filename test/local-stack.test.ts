/**
 * `docker compose up --build` in a fresh clone, without Docker: the environment that
 * docker-compose.yml and the Dockerfile's last stage give the service must pass its configuration
 * and start the built service. Compose's network addresses are the only values replaced (Redis is
 * a private redis-server here, and the port a free one).
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { randomUUID } from 'node:crypto'
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import t from 'tap'
import ts from 'typescript'
import { parse as parseYaml } from 'yaml'
import { DockerfileParser } from 'dockerfile-ast'
import { privateRedis } from './helper.js'
import { freePort } from './support/free-port.js'

type Env = Record<string, string>

/** Compose's `${NAME:-default}` and `${NAME}`, read in an environment where nothing is set. */
function interpolate (value: string, env: Env): string {
  return value.replace(/\$\{([A-Z_][A-Z0-9_]*)(?::?-([^}]*))?\}/g, (_all, name: string, fallback: string | undefined) => env[name] ?? fallback ?? '')
}

function composeEnvironment (service: string, env: Env): Env {
  const compose = parseYaml(readFileSync('docker-compose.yml', 'utf8')) as { services: Record<string, { environment?: Record<string, string | number | boolean> }> }
  const environment = compose.services[service]?.environment ?? {}
  return Object.fromEntries(Object.entries(environment).map(([name, value]) => [name, interpolate(String(value), env)]))
}

/** The ENV of the image's last stage, and its CMD. */
function imageConfiguration (): { env: Env, cmd: string[] } {
  const instructions = DockerfileParser.parse(readFileSync('Dockerfile', 'utf8')).getInstructions()
  const lastFrom = instructions.map((instruction) => instruction.getKeyword()).lastIndexOf('FROM')
  const env: Env = {}
  let cmd: string[] = []
  for (const instruction of instructions.slice(lastFrom)) {
    if (instruction.getKeyword() === 'ENV') {
      for (const property of (instruction as unknown as { getProperties: () => Array<{ getName: () => string, getValue: () => string | null }> }).getProperties()) {
        env[property.getName()] = property.getValue() ?? ''
      }
    }
    if (instruction.getKeyword() === 'CMD') cmd = JSON.parse(instruction.getArgumentsContent() ?? '[]') as string[]
  }
  return { env, cmd }
}

/**
 * What `npm run build` emits (the files and options of tsconfig.build.json, and the Lua scripts), without its type
 * check, which CI's build step runs: a whole tsc run takes most of this file's time limit on a
 * busy machine.
 */
function build (outDir: string): void {
  const config = ts.getParsedCommandLineOfConfigFile('tsconfig.build.json', {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => { throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')) }
  })
  if (config === undefined) throw new Error('tsconfig.build.json could not be read')
  const compilerOptions = { ...config.options, module: ts.ModuleKind.ESNext, sourceMap: false, declaration: false }
  for (const file of config.fileNames) {
    const target = join(outDir, relative(process.cwd(), file)).replace(/\.ts$/, '.js')
    mkdirSync(dirname(target), { recursive: true })
    writeFileSync(target, ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions, fileName: file }).outputText)
  }
  // The Lua scripts travel beside the code, as package.json's build copies them.
  cpSync('src/redis/lua', join(outDir, 'src/redis/lua'), { recursive: true })
}

const outDir = join('tmp', `local-stack-${randomUUID()}`)
build(outDir)
t.teardown(() => rmSync(outDir, { recursive: true, force: true }))

t.test('the environment of docker-compose.yml and the Dockerfile starts the built service, open with a warning', async (t) => {
  const { env: imageEnv, cmd } = imageConfiguration()
  t.same(cmd, ['node', 'dist/src/server.js'], 'the image runs the build of src/server.ts')
  const env = { ...imageEnv, ...composeEnvironment('seller-state', {}) }
  t.equal(env.NODE_ENV, 'production', 'the image runs as in production')
  t.match(env.REDIS_URL, /^redis:\/\/redis:6379/, 'compose points the service at its redis service')

  const redis = await privateRedis(t)
  const port = await freePort()
  const service = spawn(process.execPath, [join(outDir, 'src/server.js')], {
    // Exactly the container's variables: nothing of this process's environment leaks in.
    env: { ...env, REDIS_URL: redis.url, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  service.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  service.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exited = once(service, 'exit')
  t.teardown(() => { service.kill('SIGKILL') })

  let ready = false
  const deadline = Date.now() + 20_000
  while (!ready && Date.now() < deadline && service.exitCode === null) {
    ready = await fetch(`http://127.0.0.1:${port}/health/ready`).then((res) => res.ok, () => false)
    if (!ready) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.ok(ready, 'the service is ready, as compose\'s health check asks')
  if (!ready) {
    t.comment(`exit code ${service.exitCode}:\n${output}`)
    return
  }
  const deleted = await fetch(`http://127.0.0.1:${port}/seller/state/compose-check`, { method: 'DELETE' })
  t.equal(deleted.status, 204, 'it serves without a token')

  const warning = output.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>)
    .find((line) => line.level === 40 && /open/i.test(String(line.msg)))
  t.ok(warning, 'a warning says it runs open')
  t.match(String(warning?.msg), /API_KEYS/, 'and how to close it')
  t.comment(output.trim())

  service.kill('SIGTERM')
  t.equal((await exited)[0], 0)
})

t.test('production without API_KEYS and without the local stack\'s ALLOW_ANONYMOUS still refuses to start', async (t) => {
  const { env: imageEnv } = imageConfiguration()
  const env: Env = { ...imageEnv, ...composeEnvironment('seller-state', {}) }
  delete env.ALLOW_ANONYMOUS
  const service = spawn(process.execPath, [join(outDir, 'src/server.js')], { env: { ...env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  service.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const [code] = await once(service, 'exit')
  t.equal(code, 1)
  t.match(output, /API_KEYS is required with NODE_ENV=production/)
})
