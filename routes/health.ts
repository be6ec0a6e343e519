/**
 * Liveness (the process answers) and readiness (Redis answers a PING in time).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { LiveSchema, ReadySchema } from '../schemas/health.js'
import { errorResponses } from '../schemas/common.js'
import { whileAvailable } from '../src/redis/availability.js'
import { RETRY_AFTER_SECONDS } from '../src/plugins/error-handler.js'

const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
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
    if (app.isUnderPressure()) {
      reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS))
      return { status: 'unavailable' as const, redis: app.redis.status, reason: 'Overloaded: the event loop lags or the heap is too large' }
    }
    try {
      await whileAvailable(app.redis.ping())
      return { status: 'ok' as const, redis: app.redis.status }
    } catch (err) {
      const status = app.redis.status
      const reason = status === 'ready'
        ? `Redis did not answer PING: ${((err as Error).cause as Error | undefined)?.message ?? (err as Error).message}`
        : `Redis is not connected (${status})`
      reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS))
      return { status: 'unavailable' as const, redis: status, reason }
    }
  })
}

export default healthRoutes
