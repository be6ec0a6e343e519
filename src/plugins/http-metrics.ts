/**
 * The operational side of /metrics: requests by route and status with their latency, Redis
 * failures, the number of active conversations, and Node's process metrics (event-loop lag, heap,
 * CPU, GC) from prom-client's defaults. Same registry as the service's own metrics.
 */
import fp from 'fastify-plugin'
import { collectDefaultMetrics, Counter, Gauge, Histogram } from 'prom-client'

export default fp(async function httpMetrics (app) {
  const registers = [app.metrics.registry]
  collectDefaultMetrics({ register: app.metrics.registry })

  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'],
    registers
  })
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers
  })
  const redisErrors = new Counter({
    name: 'seller_state_redis_errors_total',
    help: 'Redis failures: connection (errors of the link) and unavailable (requests answered 503)',
    labelNames: ['kind'],
    registers
  })
  // Refreshed at each scrape; left as it was when Redis does not answer.
  new Gauge({ // eslint-disable-line no-new -- the registry holds it
    name: 'seller_state_active_conversations',
    help: 'Contacts whose state has not expired',
    registers,
    async collect () {
      const count = await app.listingRepository.activeCount().catch(() => null)
      if (count !== null) this.set(count)
    }
  })

  app.redis.on('error', () => redisErrors.inc({ kind: 'connection' }))
  app.addHook('onError', async (_request, _reply, error) => {
    if (error.code === 'REDIS_UNAVAILABLE') redisErrors.inc({ kind: 'unavailable' })
  })
  // A callback hook: it runs on every response, and costs no promise.
  app.addHook('onResponse', (request, reply, done) => {
    // The route pattern, not the URL: one series per route, whatever the ids.
    const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) }
    requests.inc(labels)
    duration.observe(labels, reply.elapsedTime / 1000)
    done()
  })
}, { name: 'http-metrics', dependencies: ['metrics', 'redis', 'listing-repository'] })
