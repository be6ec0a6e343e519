/**
 * GET /metrics in the Prometheus text format. Redis's memory is read at each scrape, so that
 * memory pressure shows before writes start to fail (noeviction).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { errorResponses } from '../schemas/common.js'
import { Gauge } from 'prom-client'
import { redisMemory, type RedisMemory } from '../src/redis/readiness.js'

const metricsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { registry } = app.metrics
  // The gauges are collected together at each scrape: they share one INFO.
  let reading: Promise<RedisMemory | null> | null = null
  const memory = async (): Promise<RedisMemory | null> => {
    reading ??= redisMemory(app.redis).catch(() => null).finally(() => setImmediate(() => { reading = null }))
    return await reading
  }
  const gauge = (name: string, help: string, value: (memory: RedisMemory) => number): Gauge => new Gauge({
    name,
    help,
    registers: [registry],
    async collect () {
      // An unreachable Redis leaves the last value.
      const read = await memory()
      if (read !== null) this.set(value(read))
    }
  })
  gauge('seller_state_redis_memory_used_bytes', 'Memory Redis uses (INFO memory used_memory; summed over a cluster\'s masters)', (m) => m.usedBytes)
  gauge('seller_state_redis_maxmemory_bytes', 'Redis maxmemory (0: none; summed over a cluster\'s masters)', (m) => m.maxBytes)
  gauge('seller_state_redis_memory_used_ratio', 'used_memory over maxmemory on the fullest master (0 without maxmemory); writes fail at 1 with noeviction', (m) => m.usedRatio)

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
    return reply.type(registry.contentType).send(await registry.metrics())
  })
}

export default metricsRoutes
