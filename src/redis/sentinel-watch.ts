/**
 * Why a client in Sentinel mode has no primary, in the service's words. ioredis only says
 * "connecting" while it asks the sentinels in turn; what each one answered tells a master group
 * no sentinel knows (a wrong REDIS_SENTINEL_NAME) from sentinels that cannot be reached.
 */
import type { Redis } from 'ioredis'

/** Listens to the client's sentinel errors; returns the reason of the latest, until it is ready. */
export function watchSentinels (redis: Redis, name: string): () => string | null {
  let issue: string | null = null
  // ioredis: "connected to sentinel host:port successfully, but got an invalid reply: null" when
  // the sentinel monitors no group of that name; "failed to connect to sentinel ..." otherwise.
  redis.on('sentinelError', (err: Error) => {
    issue = /successfully, but got an invalid reply/.test(err.message)
      ? `No sentinel knows the master group ${JSON.stringify(name)} (REDIS_SENTINEL_NAME)`
      : 'No sentinel is reachable (REDIS_SENTINELS)'
  })
  redis.on('ready', () => { issue = null })
  return () => redis.status === 'ready' ? null : issue
}
