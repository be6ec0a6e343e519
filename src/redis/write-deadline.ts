/**
 * A deadline for write scripts, on Redis's clock. The client gives up on a command after
 * REDIS_COMMAND_TIMEOUT_MS and answers 503, but a command already sent to a hung Redis still
 * runs when it wakes up. Each write script compares the deadline with Redis's TIME first and
 * writes nothing once it has passed, so a 503 means the write did not happen (but for a reply
 * lost in the last instants, which a retry with the same Idempotency-Key makes harmless).
 */
import type { RedisClient } from './client.js'

// Room for the reply to travel back before the client's own timeout fires.
const REPLY_MARGIN = 0.8

/**
 * How long a write may WAIT for its replicas (REDIS_MIN_REPLICAS_ACK): WAIT leaves with the
 * script, so it answers within the command timeout, whether or not they confirmed.
 */
export const replicaWaitMs = (commandTimeoutMs: number): number => Math.floor(commandTimeoutMs * REPLY_MARGIN)

export interface WriteDeadline {
  /** The deadline for a script sent now, in ms on Redis's clock. */
  next: () => number
  /** Measures the offset between this host's clock and Redis's. */
  synchronize: () => Promise<void>
}

export function createWriteDeadline (redis: RedisClient, commandTimeoutMs: number): WriteDeadline {
  let offsetMs = 0
  return {
    next: () => Date.now() + offsetMs + Math.floor(commandTimeoutMs * REPLY_MARGIN),
    async synchronize () {
      const sent = Date.now()
      const [seconds, micros] = await redis.time()
      const received = Date.now()
      offsetMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) - (sent + received) / 2
    }
  }
}
