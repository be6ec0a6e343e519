/**
 * The baseline: the Python prototype's listing algorithm, run by the benchmark directly against
 * the same private Redis under its own key prefix. A plain SET of contact ids, each state a 2 KB
 * JSON string; a listing is SMEMBERS, one GET per member, parse, sort by last_interaction
 * (newest first), slice page 1 of 50.
 *
 * `sequential` awaits each GET in turn, as the prototype's naive loop did (one round trip per
 * member); `pipelined` sends the same GETs in one pipeline, the best this layout can do.
 */
import { performance } from 'node:perf_hooks'
import { Redis } from 'ioredis'
import { summarize, type Stats } from './measure.js'
import { pythonJson, stateDocument } from './state-doc.js'

const PREFIX = 'proto:'
const INDEX = `${PREFIX}active_contacts`
const TTL_SECONDS = 604800
const PAGE_SIZE = 50

export type Variant = 'sequential' | 'pipelined'

interface State { contact_id: string, last_interaction: string | null }

/** Python's datetime ordering, with naive values read as UTC (null last). */
const timeOf = (state: State): number =>
  state.last_interaction === null ? -Infinity : Date.parse(/[+-]\d\d:\d\d$/.test(state.last_interaction) ? state.last_interaction : `${state.last_interaction}Z`)

function page (states: State[]): State[] {
  return states.sort((a, b) => timeOf(b) - timeOf(a)).slice(0, PAGE_SIZE)
}

export interface Prototype {
  populate: (from: number, to: number, nowMs: number) => Promise<void>
  list: (variant: Variant) => Promise<State[]>
  time: (variant: Variant, durationSeconds: number, minSamples: number) => Promise<Stats>
  close: () => void
}

export function prototype (redisUrl: string): Prototype {
  const redis = new Redis(redisUrl)

  async function list (variant: Variant): Promise<State[]> {
    const ids = await redis.smembers(INDEX)
    const states: State[] = []
    if (variant === 'sequential') {
      for (const id of ids) {
        const json = await redis.get(`${PREFIX}state:${id}`)
        if (json !== null) states.push(JSON.parse(json) as State)
      }
    } else {
      const pipeline = redis.pipeline()
      for (const id of ids) pipeline.get(`${PREFIX}state:${id}`)
      for (const [err, json] of await pipeline.exec() ?? []) {
        if (err === null && typeof json === 'string') states.push(JSON.parse(json) as State)
      }
    }
    return page(states)
  }

  return {
    async populate (from, to, nowMs) {
      for (let start = from; start < to; start += 1000) {
        const pipeline = redis.pipeline()
        for (let i = start; i < Math.min(to, start + 1000); i++) {
          const id = `pc${String(i).padStart(7, '0')}`
          pipeline.set(`${PREFIX}state:${id}`, pythonJson(stateDocument(id, i, nowMs)), 'EX', TTL_SECONDS)
          pipeline.sadd(INDEX, id)
        }
        await pipeline.exec()
      }
    },
    list,
    async time (variant, durationSeconds, minSamples) {
      await list(variant) // warm-up
      const latencies: number[] = []
      const started = performance.now()
      while (performance.now() - started < durationSeconds * 1000 || latencies.length < minSamples) {
        const t0 = performance.now()
        const result = await list(variant)
        latencies.push(performance.now() - t0)
        if (result.length !== PAGE_SIZE) throw new Error(`the prototype listing returned ${result.length} items`)
      }
      return summarize(latencies, (performance.now() - started) / 1000)
    },
    close: () => redis.disconnect()
  }
}
