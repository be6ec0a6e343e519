/**
 * GET /metrics in the Prometheus text format.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

const metricsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/metrics', {
    schema: { tags: ['operations'], summary: 'Prometheus metrics (text format); a read token when API_KEYS is set' }
  }, async (_request, reply) => {
    const { registry } = app.metrics
    return reply.type(registry.contentType).send(await registry.metrics())
  })
}

export default metricsRoutes
