/**
 * Tells an outage of Redis (retry later: 503) from an answer about the data (a bug: 500).
 */
import { ReplyError } from 'ioredis'
import { RedisUnavailableError } from '../errors.js'

// Replies of a server that is starting, failing over, busy or full: a retry can succeed. A
// redirect (MOVED, ASK) that reaches us came back in a pipeline, which ioredis does not follow
// when part of it succeeded (scripts.ts): the slot moved, the command ran nowhere.
const TRANSIENT_REPLY = /^(LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN|OOM|NOREPLICAS|MOVED|ASK)\b/

export function isOutage (err: unknown): boolean {
  if (err instanceof ReplyError) return TRANSIENT_REPLY.test((err as Error).message)
  // Everything else ioredis rejects with is about the link: closed, not writeable, timed out.
  return err instanceof Error
}

/** Awaits a Redis command, turning an outage into a RedisUnavailableError. */
export async function whileAvailable<T> (command: Promise<T>): Promise<T> {
  try {
    return await command
  } catch (err) {
    if (isOutage(err)) throw new RedisUnavailableError({ cause: err })
    throw err
  }
}

/** A command run on a value of another type: a state key holding what is not ours, say. */
export function isWrongType (err: unknown): boolean {
  return err instanceof ReplyError && (err as Error).message.startsWith('WRONGTYPE')
}
