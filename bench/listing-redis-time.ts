/**
 * Where a listing's time goes: a few requests of each listing case, one at a time, with SLOWLOG
 * at 0 µs on every master (each command's time inside Redis). Per request: its time over HTTP,
 * Redis's time summed over the masters and on the busiest master, and the scripts it ran. What
 * Redis does not account for is the service's own work and the wait for a core.
 */
import { createHash } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { Redis } from 'ioredis'
import { luaSource } from '../src/redis/lua-source.js'
import { LISTING_CASES } from './listing.js'
import { percentile } from './measure.js'

export interface ListingRedisTime {
  case: string
  requests: number
  httpP50: number
  /** Redis time per request (ms): summed over the masters, and on the busiest master. */
  redisMs: number
  busiestMasterMs: number
  /** Commands sent by the service per request, and commands its scripts ran inside them. */
  commandsPerRequest: number
  scriptCommandsPerRequest: number
  /** The list-page and count-slots scripts (one per bucket and request): how many, and µs each. */
  scriptsPerRequest: number
  microsPerScript: number
}

type SlowlogEntry = [number, number, number, string[], string]

// SLOWLOG names the client of a command a script runs `?:0`; its time is inside the script's.
const fromScript = ([, , , , address]: SlowlogEntry): boolean => address === '?:0'

const SCRIPT_SHAS = new Set(['list-page', 'count-slots'].map((name) => createHash('sha1').update(luaSource(name)).digest('hex')))
const OWN = new Set(['slowlog', 'config'])

export async function listingRedisTime (serviceUrl: string, masterPorts: number[], requests: number): Promise<ListingRedisTime[]> {
  const masters = masterPorts.map((port) => new Redis({ host: '127.0.0.1', port }))
  const each = async <T>(work: (redis: Redis) => Promise<T>): Promise<T[]> => await Promise.all(masters.map(work))
  try {
    await each(async (redis) => await redis.config('SET', 'slowlog-log-slower-than', '0', 'slowlog-max-len', '100000'))
    const rows: ListingRedisTime[] = []
    for (const listingCase of LISTING_CASES) {
      await each(async (redis) => await redis.slowlog('RESET'))
      const latencies: number[] = []
      for (let i = 0; i < requests; i++) {
        const started = performance.now()
        const answer = await fetch(serviceUrl + listingCase.path)
        await answer.text()
        if (answer.status !== 200) throw new Error(`${listingCase.path}: ${answer.status}`)
        latencies.push(performance.now() - started)
      }
      const all = (await each(async (redis) => await redis.slowlog('GET', 100000) as SlowlogEntry[]))
        .map((entries) => entries.filter(([, , , args]) => !OWN.has(String(args[0]).toLowerCase())))
      const logs = all.map((entries) => entries.filter((entry) => !fromScript(entry)))
      const micros = (entries: SlowlogEntry[]): number => entries.reduce((sum, [, , us]) => sum + us, 0)
      const scripts = logs.flat().filter(([, , , args]) => String(args[0]).toLowerCase() === 'evalsha' && SCRIPT_SHAS.has(String(args[1])))
      rows.push({
        case: listingCase.name,
        requests,
        httpP50: percentile([...latencies].sort((a, b) => a - b), 0.5),
        redisMs: micros(logs.flat()) / 1000 / requests,
        busiestMasterMs: Math.max(...logs.map(micros)) / 1000 / requests,
        commandsPerRequest: logs.flat().length / requests,
        scriptCommandsPerRequest: all.flat().filter(fromScript).length / requests,
        scriptsPerRequest: scripts.length / requests,
        microsPerScript: scripts.length === 0 ? Number.NaN : micros(scripts) / scripts.length
      })
    }
    await each(async (redis) => await redis.config('SET', 'slowlog-log-slower-than', '10000'))
    return rows
  } finally {
    for (const redis of masters) redis.disconnect()
  }
}
