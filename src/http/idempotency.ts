/**
 * The Idempotency-Key header: the bot sends the inbound SMS id, and a repeat of the same key for
 * the same contact replays the first response instead of writing again.
 */
import { createHash } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { InvalidHeaderError } from '../errors.js'
import type { IdempotencyRequest } from '../state/state-store.js'

// Visible ASCII: what SMS ids and UUIDs are made of, and safe inside a Redis key name.
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/

/** The request's Idempotency-Key with a fingerprint of what it asks (method and body); null when absent. */
export function idempotencyOf (request: FastifyRequest): IdempotencyRequest | null {
  const key = request.headers['idempotency-key']
  if (key === undefined) return null
  if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
    throw new InvalidHeaderError('Idempotency-Key', 'must be 1-255 visible ASCII characters')
  }
  const fingerprint = createHash('sha256').update(`${request.method}\n${request.rawBody}`).digest('base64url')
  return { key, fingerprint }
}
