/**
 * Whether Redis can serve the service, said in the service's own words: a Redis reply (which
 * names Redis's own commands and internals) never reaches a client. Memory close to `maxmemory`
 * counts as not ready: with noeviction, writes start failing for everyone once it is reached.
 */
import type { Redis } from 'ioredis'
import { ReplyError } from 'ioredis'

export interface RedisMemory {
  usedBytes: number
  /** 0 when Redis has no maxmemory. */
  maxBytes: number
}

/** What INFO memory says of used and maximum memory. */
export async function redisMemory (redis: Redis): Promise<RedisMemory> {
  const info = await redis.info('memory')
  const field = (name: string): number => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0)
  return { usedBytes: field('used_memory'), maxBytes: field('maxmemory') }
}

/** The fraction of maxmemory in use; 0 without a maxmemory. */
export const memoryUsedRatio = ({ usedBytes, maxBytes }: RedisMemory): number => maxBytes > 0 ? usedBytes / maxBytes : 0

const REPLY_REASONS: Array<[RegExp, string]> = [
  [/^BUSY\b/, 'Redis is busy running a script'],
  [/^LOADING\b/, 'Redis is loading its data'],
  [/^OOM\b/, 'Redis is out of memory'],
  [/^(MASTERDOWN|READONLY|NOREPLICAS|CLUSTERDOWN|TRYAGAIN)\b/, 'Redis cannot take writes now (failover or replication)'],
  [/^(NOAUTH|WRONGPASS|NOPERM)\b/, 'Redis refused the service\'s credentials']
]

/** Why a PING failed, from the error ioredis gave (the cause of the service's own error). */
export function unreadyReason (err: unknown, connection: string): string {
  if (connection !== 'ready') return `Redis is not connected (${connection})`
  const cause = ((err as Error).cause ?? err) as Error
  if (cause instanceof ReplyError) {
    const found = REPLY_REASONS.find(([pattern]) => pattern.test(cause.message))
    return found?.[1] ?? 'Redis answered PING with an error'
  }
  if (/timed? ?out/i.test(String(cause.message))) return 'Redis did not answer PING in time (unreachable or blocked)'
  return 'Redis is unreachable'
}
