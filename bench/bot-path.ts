/**
 * The bot's path against three servers, all running at once on the server's CPUs: the ceiling
 * (bare Fastify, no Redis), the floor (one Redis round trip and nothing else) and the service.
 * Each case runs once per round, the servers taking turns (the order reversed every other round,
 * so that neither drift nor warmth favours one), then the bot turn against the service.
 */
import type { Stats } from './measure.js'
import type { BotCases, CaseSettings } from './bot-cases.js'
import { startCeiling, startFloor, startService, type Child } from './processes.js'

export const TARGETS = ['ceiling', 'floor', 'service'] as const
export type Target = typeof TARGETS[number]

export interface GetPut { get: Stats, put: Stats }

export interface BotPathResult {
  /** One entry per round, each server's GET and PUT. */
  rounds: Array<Record<Target, GetPut>>
  turn: Stats
  turnRequests: Stats
}

export interface BotPathOptions {
  redisUrl: string
  http: CaseSettings
  rounds: number
  /** CPU list of the servers (pinning.ts); anywhere when undefined. */
  serverCpus?: string
  log: (message: string) => void
}

async function stopAll (children: Array<Child | undefined>): Promise<void> {
  await Promise.all(children.map(async (child) => await child?.stop()))
}

export async function measureBotPath (bot: BotCases, { redisUrl, http, rounds, serverCpus, log }: BotPathOptions): Promise<BotPathResult> {
  let ceiling: Child | undefined
  let floor: Child | undefined
  let service: Child | undefined
  try {
    ceiling = await startCeiling(serverCpus)
    floor = await startFloor(redisUrl, 'bench:floor:', serverCpus)
    service = await startService(redisUrl, 'bench:bot:', {}, serverCpus)
    const urls: Record<Target, string> = { ceiling: ceiling.url, floor: floor.url, service: service.url }
    await bot.fill(urls.floor)
    await bot.fill(urls.service)

    const results: BotPathResult['rounds'] = []
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? [...TARGETS] : [...TARGETS].reverse()
      const get: Partial<Record<Target, Stats>> = {}
      const put: Partial<Record<Target, Stats>> = {}
      for (const target of order) get[target] = await bot.get(urls[target], http)
      for (const target of order) put[target] = await bot.put(urls[target], http)
      const entry = Object.fromEntries(TARGETS.map((target) => [target, { get: get[target], put: put[target] }])) as Record<Target, GetPut>
      results.push(entry)
      log(`  round ${round + 1}: ${TARGETS.map((target) =>
        `${target} GET ${entry[target].get.requestsPerSecond.toFixed(0)} PUT ${entry[target].put.requestsPerSecond.toFixed(0)}`).join(', ')} req/s`)
    }
    const turn = await bot.turn(urls.service, http)
    return { rounds: results, turn: turn.turn, turnRequests: turn.requests }
  } finally {
    await stopAll([ceiling, floor, service])
  }
}
