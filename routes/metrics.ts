/**
 * GET /metrics in the Prometheus text format.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { errorResponses } from '../schemas/common.js'

const metricsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/metrics', {
    schema: {
      tags: ['operations'],
      operationId: 'getMetrics',
      summary: 'Prometheus metrics (text format); a read token when API_KEYS is set',
      response: {
        200: { description: 'The metrics', content: { 'text/plain': { schema: Type.String({ description: 'Prometheus exposition format 0.0.4' }) } } },
        ...errorResponses(401, 429)
      }
    }
  }, async (_request, reply) => {
    const { registry } = app.metrics
    return reply.type(registry.contentType).send(await registry.metrics())
  })
}

export default metricsRoutes
