/**
 * Why a client in Sentinel mode has no primary, in the service's words. ioredis only says
 * "connecting" while it asks the sentinels in turn; what each one answered tells a master group
 * no sentinel knows (a wrong REDIS_SENTINEL_NAME) from sentinels that cannot be reached.
 */
import type { Redis } from 'ioredis'

/** Listens to the client's sentinel errors; returns the reason of the latest, until it is ready. */
export function watchSentinels (redis: Redis, name: string): () => string | null {
  let issue: string | null = null
  // ioredis, of a sentinel that monitors no group of that name: "failed to connect to sentinel
  // host:port because ERR No such master with that name" (its SENTINEL SENTINELS <name> fails) or
  // "connected ... successfully, but got an invalid reply: null"; of one it cannot reach, the error of the link.
  redis.on('sentinelError', (err: Error) => {
    issue = /No such master|successfully, but got an invalid reply/.test(err.message)
      ? `No sentinel knows the master group ${JSON.stringify(name)} (REDIS_SENTINEL_NAME)`
      : 'No sentinel is reachable (REDIS_SENTINELS)'
  })
  redis.on('ready', () => { issue = null })
  return () => redis.status === 'ready' ? null : issue
}
