/**
 * Liveness (the process answers) and readiness (Redis answers a PING in time, with memory left).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { LiveSchema, ReadySchema } from '../schemas/health.js'
import { errorResponses } from '../schemas/common.js'
import { whileAvailable } from '../src/redis/availability.js'
import { redisMemory, unreadyReason } from '../src/redis/readiness.js'
import { RETRY_AFTER_SECONDS } from '../src/plugins/error-handler.js'

const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const memoryHighRatio = app.config.redisMemoryHighPercent / 100
  app.get('/health/live', {
    // Alive even when shedding load: a restart would not help an overloaded process.
    config: { public: true, rateLimit: false, pressureHandler: () => {} },
    schema: { tags: ['health'], operationId: 'getLiveness', summary: 'Whether the process answers', security: [], response: { 200: LiveSchema, ...errorResponses(400) } }
  }, async () => ({ status: 'ok' as const }))

  app.get('/health/ready', {
    config: { public: true, rateLimit: false, pressureHandler: () => {} },
    schema: {
      tags: ['health'],
      operationId: 'getReadiness',
      summary: 'Whether the service can serve: Redis answers a PING and the service is not overloaded',
      security: [],
      response: {
        200: ReadySchema,
        ...errorResponses(400),
        503: { ...ReadySchema, examples: [{ status: 'unavailable', redis: 'reconnecting', reason: 'Redis is not connected (reconnecting)' }] }
      }
    }
  }, async (_request, reply) => {
    const unready = (reason: string): { status: 'unavailable', redis: string, reason: string } => {
      reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS))
      return { status: 'unavailable' as const, redis: app.redis.status, reason }
    }
    if (app.isUnderPressure()) return unready('Overloaded: the event loop lags or the heap is too large')
    let memory
    try {
      await whileAvailable(app.redis.ping())
      memory = await whileAvailable(redisMemory(app.redis))
    } catch (err) {
      return unready(unreadyReason(err, app.redis.status, app.redisConnectionIssue()))
    }
    // With noeviction, writes fail for everyone once maxmemory is reached: step aside before.
    const used = memory.usedRatio
    if (used >= memoryHighRatio) return unready(`Redis is nearly out of memory (${Math.floor(used * 100)}% of maxmemory used)`)
    return { status: 'ok' as const, redis: app.redis.status }
  })
}

export default healthRoutes
