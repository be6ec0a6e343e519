/**
 * The bot's path against three servers, all running at once on the server's CPUs: the ceiling
 * (bare Fastify, no Redis), the floor (one Redis round trip and nothing else) and the service.
 * Each case runs once per round, the servers taking turns (the order reversed every other round,
 * so that neither drift nor warmth favours one), then the bot turn against the service.
 */
import type { Stats } from './measure.js'
import type { BotCases, CaseSettings } from './bot-cases.js'
import { cpuStopwatch } from './process-cpu.js'
import { startCeiling, startFloor, startService, type Child } from './processes.js'

export const TARGETS = ['ceiling', 'floor', 'service'] as const
export type Target = typeof TARGETS[number]

/** CPU time per answered request of the timed run, in microseconds; null where /proc cannot tell. */
export interface CpuPerRequest { serverUs: number | null, redisUs: number | null, loadGeneratorUs: number | null }

export interface CaseResult extends Stats { cpu: CpuPerRequest }

export interface GetPut { get: CaseResult, put: CaseResult }

export interface BotPathResult {
  /** One entry per round, each server's GET and PUT. */
  rounds: Array<Record<Target, GetPut>>
  turn: Stats
  turnRequests: Stats
}

export interface BotPathOptions {
  redis: Child
  http: CaseSettings
  rounds: number
  /** CPU list of the servers (pinning.ts); anywhere when undefined. */
  serverCpus?: string
  log: (message: string) => void
}

async function stopAll (children: Array<Child | undefined>): Promise<void> {
  await Promise.all(children.map(async (child) => await child?.stop()))
}

/** One timed case, with the CPU time its requests cost the server, Redis and the load generator. */
async function timedCase (bot: BotCases, method: 'get' | 'put', server: Child, redis: Child, http: CaseSettings): Promise<CaseResult> {
  // This process is the load generator.
  const pids = [server.pid, redis.pid, process.pid]
  let stopwatch = cpuStopwatch(pids)
  const stats = await bot[method](server.url, http, { onStart: () => { stopwatch = cpuStopwatch(pids) } })
  const perRequest = (ms: number | null | undefined): number | null =>
    ms === null || ms === undefined || stats.count === 0 ? null : (ms * 1000) / (stats.count + stats.failures)
  const [serverMs, redisMs, loadGeneratorMs] = stopwatch()
  return { ...stats, cpu: { serverUs: perRequest(serverMs), redisUs: perRequest(redisMs), loadGeneratorUs: perRequest(loadGeneratorMs) } }
}

export async function measureBotPath (bot: BotCases, { redis, http, rounds, serverCpus, log }: BotPathOptions): Promise<BotPathResult> {
  const redisUrl = redis.url
  let ceiling: Child | undefined
  let floor: Child | undefined
  let service: Child | undefined
  try {
    ceiling = await startCeiling(serverCpus)
    floor = await startFloor(redisUrl, 'bench:floor:', serverCpus)
    service = await startService(redisUrl, 'bench:bot:', {}, { cpus: serverCpus })
    const servers: Record<Target, Child> = { ceiling, floor, service }
    await bot.fill(floor.url)
    await bot.fill(service.url)

    const results: BotPathResult['rounds'] = []
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? [...TARGETS] : [...TARGETS].reverse()
      const get: Partial<Record<Target, CaseResult>> = {}
      const put: Partial<Record<Target, CaseResult>> = {}
      for (const target of order) get[target] = await timedCase(bot, 'get', servers[target], redis, http)
      for (const target of order) put[target] = await timedCase(bot, 'put', servers[target], redis, http)
      const entry = Object.fromEntries(TARGETS.map((target) => [target, { get: get[target], put: put[target] }])) as Record<Target, GetPut>
      results.push(entry)
      log(`  round ${round + 1}: ${TARGETS.map((target) =>
        `${target} GET ${entry[target].get.requestsPerSecond.toFixed(0)} PUT ${entry[target].put.requestsPerSecond.toFixed(0)}`).join(', ')} req/s`)
    }
    const turn = await bot.turn(service.url, http)
    return { rounds: results, turn: turn.turn, turnRequests: turn.requests }
  } finally {
    await stopAll([ceiling, floor, service])
  }
}
