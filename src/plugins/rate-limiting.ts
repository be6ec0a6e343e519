/**
 * Rate limiting per token (per address for the open service) with @fastify/rate-limit, counted in
 * the same Redis so that every replica shares one budget. The Redis keys hold a digest of the
 * token (request.tokenId), never the token. Off with RATE_LIMIT_MAX=0, the default.
 */
import fp from 'fastify-plugin'
import rateLimit from '@fastify/rate-limit'
import { RateLimitedError } from '../errors.js'

export interface RateLimitingOptions {
  max: number
  timeWindow: string
}

export default fp<RateLimitingOptions>(async function rateLimiting (app, { max, timeWindow }) {
  if (max === 0) return
  await app.register(rateLimit, {
    max,
    timeWindow,
    redis: app.redis,
    nameSpace: app.keySpace.rateLimitPrefix,
    keyGenerator: (request) => request.tokenId ?? request.ip,
    // An outage is answered by the routes themselves (503); the limit must not turn it into a 500.
    skipOnError: true,
    errorResponseBuilder: (_request, context) => new RateLimitedError(context.after)
  })
}, { name: 'rate-limiting', dependencies: ['redis', 'access-control'] })
