/**
 * The whole application, built from a validated configuration. Tests and server.ts build the
 * same app; nothing listens here.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Config } from './config.js'
import { decorateRawBody, registerJsonBodyParser } from './http/json-body.js'
import { validatorCompiler } from './http/validator-compiler.js'
import { RequestLog } from './http/request-log.js'
import { answerOutsideFastify, clientErrorHandler } from './http/client-error.js'
import { frameworkErrorHandler } from './http/framework-error.js'
import { requestIdOf } from './http/request-id.js'
import { JSON_MEDIA_TYPE } from './http/instructive-messages.js'
import { withSecretsRedacted } from './log-redaction.js'
import errorHandler from './plugins/error-handler.js'
import securityHeaders from './plugins/security-headers.js'
import requestIdHeader from './plugins/request-id-header.js'
import hostHeader from './plugins/host-header.js'
import requestFraming from './plugins/request-framing.js'
import gracefulClose from './plugins/graceful-close.js'
import accessControl from './plugins/access-control.js'
import openapi, { DOCS_PREFIX } from './plugins/openapi.js'
import rateLimiting from './plugins/rate-limiting.js'
import loadShedding from './plugins/load-shedding.js'
import redisPlugin from './plugins/redis.js'
import stateRepository from './plugins/state-repository.js'
import { replicaWaitMs } from './redis/write-deadline.js'
import metrics from './plugins/metrics.js'
import indexMaintenance from './plugins/index-maintenance.js'
import listingRepository from './plugins/listing-repository.js'
import httpMetrics from './plugins/http-metrics.js'
import healthRoutes from '../routes/health.js'
import metricsRoutes from '../routes/metrics.js'
import stateRoutes from '../routes/state.js'
import statePatchRoutes from '../routes/state-patch.js'
import activeRoutes from '../routes/active.js'
import changeFeed from './plugins/change-feed.js'
import activeEventsRoutes from '../routes/active-events.js'
import dashboardRoutes from '../routes/dashboard.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
  }
}

export interface BuildOptions {
  logger?: FastifyServerOptions['logger']
}

/**
 * pino settings shared by every deployment: never log credentials. A failed Redis command's
 * arguments hold the document it carried (personal data) and the request's Idempotency-Key.
 */
export const REDACTED_PATHS = ['req.headers.authorization', 'req.headers.cookie', 'config.redisUrl', 'config.redisPassword', 'config.redisSentinel.password', 'err.command.args']

export async function buildApp (config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    // Whoever gives the logger options (server.ts, tests), configured tokens never reach a line.
    logger: withSecretsRedacted(options.logger ?? { level: config.logLevel, redact: REDACTED_PATHS }, config.apiKeys.map(({ token }) => token)),
    bodyLimit: config.bodyLimitBytes,
    logController: new RequestLog(),
    genReqId: requestIdOf,
    clientErrorHandler,
    frameworkErrors: frameworkErrorHandler,
    // A client that trickles its request (slowloris, a body that never ends) is cut off with 408;
    // Node looks for such clients every second. Given twice: Fastify sets it on the server once
    // that exists, which alone cut no one off on Node 20; Node's server must get it at creation.
    // A missing Host gets a JSON 400 (host-header.ts) rather than Node's bare one.
    requestTimeout: config.requestTimeoutMs,
    http: { requestTimeout: config.requestTimeoutMs, connectionsCheckingInterval: 1000, requireHostHeader: false },
    // A trailing slash is a typo, not another resource. Ids of any length reach the schema,
    // which answers 400, instead of the router's 414.
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 65536 }
  }).withTypeProvider<TypeBoxTypeProvider>()

  answerOutsideFastify(app)
  // Each connection costs memory and a share of the event loop: past the cap Node closes new
  // ones at once (a client that opens thousands cannot starve the bot's).
  if (config.maxConnections > 0) app.server.maxConnections = config.maxConnections
  app.setValidatorCompiler(validatorCompiler)
  // Only JSON is accepted: any other media type is a 415, not a string body.
  app.removeAllContentTypeParsers()
  decorateRawBody(app)
  registerJsonBodyParser(app, [JSON_MEDIA_TYPE])
  app.decorate('config', config)

  await app.register(securityHeaders)
  await app.register(requestIdHeader)
  await app.register(hostHeader)
  await app.register(requestFraming)
  await app.register(errorHandler)
  await app.register(gracefulClose)
  await app.register(loadShedding, { maxEventLoopDelayMs: config.maxEventLoopDelayMs, maxHeapUsedBytes: config.maxHeapUsedBytes })
  await app.register(accessControl, {
    apiKeys: config.apiKeys,
    publicPrefixes: [DOCS_PREFIX],
    failedAuthMax: config.authFailureLimit,
    failedAuthWindow: config.addressLimitWindow
  })
  await app.register(openapi, { rateLimit: config.docsRateLimit, timeWindow: config.addressLimitWindow })
  await app.register(metrics)
  await app.register(redisPlugin, { config })
  await app.register(rateLimiting, { max: config.rateLimitMax, timeWindow: config.rateLimitWindow })
  await app.register(stateRepository, {
    stateTtlSeconds: config.stateTtlSeconds,
    idempotencyTtlSeconds: config.idempotencyTtlSeconds,
    requirePrecondition: config.requirePrecondition,
    replicaAck: { replicas: config.minReplicasAck, timeoutMs: replicaWaitMs(config.redisCommandTimeoutMs) }
  })
  await app.register(listingRepository)
  await app.register(httpMetrics)
  await app.register(indexMaintenance, {
    sweepIntervalSeconds: config.sweepIntervalSeconds,
    connectWaitMs: config.redisCommandTimeoutMs
  })
  await app.register(healthRoutes)
  await app.register(metricsRoutes)
  await app.register(stateRoutes)
  await app.register(statePatchRoutes)
  await app.register(activeRoutes)
  await app.register(changeFeed, { stallAfterSeconds: config.stallAfterSeconds })
  await app.register(activeEventsRoutes, { heartbeatSeconds: config.eventsHeartbeatSeconds, clientBufferBytes: config.eventsClientBufferBytes })
  await app.register(dashboardRoutes)
  return app
}
