/**
 * Where the service's CPU goes on the bot's path: the built service under `node --cpu-prof`,
 * loaded like `npm run bench` loads it (50 connections, 2 KB states, 10,000 contacts, pinned
 * where possible), once with GETs only and once with PUTs only. Prints each profile's top items
 * by function and by step (cpu-profile.ts) as Markdown; the .cpuprofile files stay in
 * tmp/profiles/ for a flame graph (Chrome DevTools, speedscope).
 *
 *   npm run build && TS_NODE_TRANSPILE_ONLY=1 node --import=@tapjs/typescript/import bench/profile.ts
 */
import { mkdir, rm } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { botCases } from './bot-cases.js'
import { formatSummary, readProfile, summarizeProfile } from './cpu-profile.js'
import { choosePlacement, pinThisProcess } from './pinning.js'
import { startRedis, startService } from './processes.js'
import { loadSettings } from './settings.js'

const PROFILES = fileURLToPath(new URL('../tmp/profiles/', import.meta.url))
const PREFIX = 'bench:profile:'
const settings = loadSettings()
const placement = choosePlacement()
const http = { connections: settings.connections, durationSeconds: settings.durationSeconds }

if (placement !== null) pinThisProcess(placement.load)
await rm(PROFILES, { recursive: true, force: true })
await mkdir(PROFILES, { recursive: true })
const redis = await startRedis(placement?.load)
try {
  const bot = botCases(settings.botContacts, Date.now())
  const filler = await startService(redis.url, PREFIX, {}, { cpus: placement?.server })
  await bot.fill(filler.url).finally(() => filler.stop())
  const out: string[] = []
  for (const method of ['get', 'put'] as const) {
    const name = `${method}.cpuprofile`
    const service = await startService(redis.url, PREFIX, {}, {
      cpus: placement?.server,
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${PROFILES}`, `--cpu-prof-name=${name}`]
    })
    const stats = await bot[method](service.url, http).finally(() => service.stop())
    const summary = summarizeProfile(await readProfile(`${PROFILES}${name}`), settings.durationSeconds * 1000)
    out.push(formatSummary(`${method.toUpperCase()}, ${stats.requestsPerSecond.toFixed(0)} req/s`, summary))
  }
  process.stdout.write(`${out.join('\n\n')}\n\nprofiles in tmp/profiles/\n`)
} finally {
  await redis.stop()
}
