/**
 * The Redis connection, decorated as `app.redis` (one Redis, a primary found through Sentinel, or
 * a Redis Cluster: the routes and repositories see the same client either way), with the key
 * space of that mode as `app.keySpace` (Sentinel's is the single Redis's: one primary holds all).
 *
 * Failing fast is the rule: no offline queue, a command timeout and no re-sending after a
 * reconnection, so that a request made during an outage gets its 503 within about a second. The
 * service must also start without Redis, answer /health/ready with 503 and become ready by itself
 * when Redis comes. @fastify/redis 9.0.0 cannot do that: given a client (lazyConnect or not) it
 * holds the app's start-up until the client is ready, so with Redis down `app.ready()` failed
 * with FST_ERR_PLUGIN_TIMEOUT after the plugin timeout (3 s in our trial), and its onClose `quit()`
 * rejected unhandled with the offline queue off. Hence this plugin of ours.
 */
import type { ConnectionOptions } from 'node:tls'
import fp from 'fastify-plugin'
import { Cluster, Redis, type RedisOptions } from 'ioredis'
import type { Config } from '../config.js'
import { isCluster, type RedisClient } from '../redis/client.js'
import { createKeySpace, type KeySpace } from '../redis/keys.js'
import { createWriteDeadline, type WriteDeadline } from '../redis/write-deadline.js'
import { watchSentinels } from '../redis/sentinel-watch.js'

export interface RedisPluginOptions {
  config: Pick<Config, 'redisUrl' | 'redisCluster' | 'redisSentinel' | 'redisUsername' | 'redisPassword' | 'redisTls' | 'redisCommandTimeoutMs' | 'keyPrefix'>
}

declare module 'fastify' {
  interface FastifyInstance {
    redis: RedisClient
    keySpace: KeySpace
    writeDeadline: WriteDeadline
    /** Why the connection cannot be made, when the client knows better than its status (Sentinel). */
    redisConnectionIssue: () => string | null
  }
}

const MAX_RECONNECT_DELAY_MS = 1000
const retryStrategy = (attempt: number): number => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS)

function connect ({ config }: RedisPluginOptions): RedisClient {
  const tls: ConnectionOptions | undefined = config.redisTls === null ? undefined : config.redisTls.ca === null ? {} : { ca: config.redisTls.ca }
  const options: RedisOptions = {
    enableOfflineQueue: false,
    // Auto-pipelining sends one batch at a time: behind a batch a hung Redis holds, every later
    // command waits a whole timeout before its own starts, and the 503s take 2, 3... timeouts.
    enableAutoPipelining: false,
    commandTimeout: config.redisCommandTimeoutMs,
    connectTimeout: config.redisCommandTimeoutMs,
    // A command cut off by a lost connection fails now rather than running after the reconnect,
    // when its client has long had a 503 (a hung Redis is write-deadline.ts's matter).
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    retryStrategy,
    ...(config.redisUsername === '' ? {} : { username: config.redisUsername }),
    ...(config.redisPassword === '' ? {} : { password: config.redisPassword }),
    ...(tls === undefined ? {} : { tls })
  }
  const sentinel = config.redisSentinel
  if (sentinel !== null) {
    return new Redis({
      ...options,
      sentinels: sentinel.sentinels,
      name: sentinel.name,
      sentinelRetryStrategy: retryStrategy,
      sentinelCommandTimeout: config.redisCommandTimeoutMs,
      ...(sentinel.password === '' ? {} : { sentinelPassword: sentinel.password }),
      ...(tls === undefined ? {} : { enableTLSForSentinelMode: true, sentinelTLS: tls }),
      // A primary demoted by a failover answers writes with READONLY: reconnect, which asks the
      // sentinels for the new primary (and re-sends nothing, as above).
      reconnectOnError: (err) => err.message.startsWith('READONLY') ? 1 : false
    })
  }
  if (config.redisCluster === null) return new Redis(config.redisUrl, options)
  return new Cluster(config.redisCluster.nodes, {
    enableOfflineQueue: false,
    enableAutoPipelining: false,
    clusterRetryStrategy: retryStrategy,
    slotsRefreshTimeout: config.redisCommandTimeoutMs,
    // A managed cluster's certificates name its hosts: connect by name, not by resolved address.
    ...(tls === undefined ? {} : { dnsLookup: (address, callback) => callback(null, address) }),
    redisOptions: options
  })
}

export default fp<RedisPluginOptions>(async function redisPlugin (app, opts) {
  const log = app.log.child({ component: 'redis' })
  const redis = connect(opts)

  // One warning per outage: ioredis emits an error on every failed reconnection attempt.
  let outageReported = false
  redis.on('error', (err: Error) => {
    if (outageReported) return
    outageReported = true
    // Why, without a stack: the link's error says all there is to know.
    log.warn({ reason: err.message }, 'Redis unreachable; requests get 503 until it is back')
  })
  const writeDeadline = createWriteDeadline(redis, opts.config.redisCommandTimeoutMs)
  redis.on('ready', () => {
    if (outageReported) log.info('Redis reachable again')
    outageReported = false
    writeDeadline.synchronize().catch((err: unknown) => log.warn({ err }, 'Could not read the Redis clock'))
  })

  const cluster = opts.config.redisCluster
  app.decorate<RedisClient>('redis', redis)
  app.decorate('keySpace', createKeySpace(opts.config.keyPrefix, cluster === null ? null : cluster.buckets))
  app.decorate('writeDeadline', writeDeadline)
  const sentinels = opts.config.redisSentinel
  app.decorate('redisConnectionIssue', sentinels === null || isCluster(redis) ? () => null : watchSentinels(redis, sentinels.name))
  app.addHook('onClose', async () => {
    // QUIT lets pending replies arrive; with Redis gone there is nothing to wait for.
    await redis.quit().catch(() => redis.disconnect())
  })
}, { name: 'redis' })
