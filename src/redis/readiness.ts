/**
 * Whether Redis can serve the service, said in the service's own words: a Redis reply (which
 * names Redis's own commands and internals) never reaches a client. Memory close to `maxmemory`
 * counts as not ready: with noeviction, writes start failing for everyone once it is reached.
 */
import type { Redis } from 'ioredis'
import { ReplyError } from 'ioredis'
import { masters, type RedisClient } from './client.js'

export interface RedisMemory {
  /** Used and maximum memory of all the masters (0: a master without maxmemory adds nothing). */
  usedBytes: number
  maxBytes: number
  /** The fraction of maxmemory in use on the fullest master; 0 without a maxmemory. */
  usedRatio: number
}

async function masterMemory (master: Redis): Promise<{ used: number, max: number }> {
  const info = await master.info('memory')
  const field = (name: string): number => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0)
  return { used: field('used_memory'), max: field('maxmemory') }
}

/** What INFO memory says of used and maximum memory, on every master. */
export async function redisMemory (redis: RedisClient): Promise<RedisMemory> {
  const readings = await Promise.all((await masters(redis)).map(masterMemory))
  return {
    usedBytes: readings.reduce((total, { used }) => total + used, 0),
    maxBytes: readings.reduce((total, { max }) => total + max, 0),
    usedRatio: Math.max(0, ...readings.map(({ used, max }) => max > 0 ? used / max : 0))
  }
}

const REPLY_REASONS: Array<[RegExp, string]> = [
  [/^BUSY\b/, 'Redis is busy running a script'],
  [/^LOADING\b/, 'Redis is loading its data'],
  [/^OOM\b/, 'Redis is out of memory'],
  [/^(MASTERDOWN|READONLY|NOREPLICAS|CLUSTERDOWN|TRYAGAIN)\b/, 'Redis cannot take writes now (failover or replication)'],
  [/^(NOAUTH|WRONGPASS|NOPERM)\b/, 'Redis refused the service\'s credentials']
]

/**
 * Why a PING failed, from the error ioredis gave (the cause of the service's own error), or from
 * what the connection knows of its trouble (Sentinel: see sentinel-watch.ts).
 */
export function unreadyReason (err: unknown, connection: string, issue: string | null = null): string {
  if (connection !== 'ready') return issue ?? `Redis is not connected (${connection})`
  const cause = ((err as Error).cause ?? err) as Error
  if (cause instanceof ReplyError) {
    const found = REPLY_REASONS.find(([pattern]) => pattern.test(cause.message))
    return found?.[1] ?? 'Redis answered PING with an error'
  }
  if (/timed? ?out/i.test(String(cause.message))) return 'Redis did not answer PING in time (unreachable or blocked)'
  return 'Redis is unreachable'
}
