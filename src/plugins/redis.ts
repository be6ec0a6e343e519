/**
 * The Redis connection, decorated as `app.redis`.
 *
 * Written here rather than taken from @fastify/redis because that plugin holds the app's
 * start-up until Redis answers, and this service must start, answer /health/ready with 503 and
 * become ready by itself when Redis comes. Failing fast is the other rule: no offline queue and a
 * command timeout, so that a request made during an outage gets its 503 within about a second
 * instead of waiting for a reconnection.
 */
import fp from 'fastify-plugin'
import { Redis } from 'ioredis'
import { createWriteDeadline, type WriteDeadline } from '../redis/write-deadline.js'

export interface RedisPluginOptions {
  url: string
  commandTimeoutMs: number
}

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis
    writeDeadline: WriteDeadline
  }
}

const MAX_RECONNECT_DELAY_MS = 1000

export default fp<RedisPluginOptions>(async function redisPlugin (app, opts) {
  const log = app.log.child({ component: 'redis' })
  const redis = new Redis(opts.url, {
    enableOfflineQueue: false,
    // Auto-pipelining sends one batch at a time: behind a batch a hung Redis holds, every later
    // command waits a whole timeout before its own starts, and the 503s take 2, 3... timeouts.
    // Plain commands are written at once and time out on their own (and were no slower here).
    enableAutoPipelining: false,
    commandTimeout: opts.commandTimeoutMs,
    connectTimeout: opts.commandTimeoutMs,
    // A command cut off by a lost connection fails now rather than running after the reconnect,
    // when its client has long had a 503 (a hung Redis is write-deadline.ts's matter).
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS)
  })

  // One warning per outage: ioredis emits an error on every failed reconnection attempt.
  let outageReported = false
  redis.on('error', (err: Error) => {
    if (outageReported) return
    outageReported = true
    // Why, without a stack: the link's error says all there is to know.
    log.warn({ reason: err.message }, 'Redis unreachable; requests get 503 until it is back')
  })
  const writeDeadline = createWriteDeadline(redis, opts.commandTimeoutMs)
  redis.on('ready', () => {
    if (outageReported) log.info('Redis reachable again')
    outageReported = false
    writeDeadline.synchronize().catch((err: unknown) => log.warn({ err }, 'Could not read the Redis clock'))
  })

  app.decorate('redis', redis)
  app.decorate('writeDeadline', writeDeadline)
  app.addHook('onClose', async () => {
    // QUIT lets pending replies arrive; with Redis gone there is nothing to wait for.
    await redis.quit().catch(() => redis.disconnect())
  })
}, { name: 'redis' })
