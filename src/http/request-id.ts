/**
 * The id of each request in the logs: the caller's X-Request-Id when it sends a sensible one (the
 * bot can then find its SMS in the service's logs), else a new UUID. Anything else in the header
 * is ignored, so a caller cannot write arbitrary text into the logs through it.
 */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

const WELL_FORMED_ID = /^[A-Za-z0-9._:-]{1,64}$/

export function requestIdOf (request: IncomingMessage): string {
  const given = request.headers['x-request-id']
  return typeof given === 'string' && WELL_FORMED_ID.test(given) ? given : randomUUID()
}
