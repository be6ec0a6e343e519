/**
 * Access control by bearer token (API_KEYS): a read token for reads, a write token for writes
 * too. Routes marked `config: { public: true }` (health) and those under `publicPrefixes` (the
 * API's documentation) stay open. Without API_KEYS the service is open (server.ts warns;
 * config.ts refuses it in production unless ALLOW_ANONYMOUS=true).
 *
 * Failed authentications are counted per address: past `failedAuthMax` in the window, that
 * address's failures get 429 with Retry-After and their connection closed (a valid token still
 * passes: an address may be a NAT the bot shares). They are logged as one summary line per interval, not a line each: a flood
 * of them must not flood the log.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import fp from 'fastify-plugin'
import type { ApiKey } from '../config.js'
import { FailedAuthenticationsError, ForbiddenError, UnauthorizedError } from '../errors.js'
import { addressBudget } from '../http/address-limiter.js'
import { FailureSummary } from '../http/failure-summary.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Answered without a token. */
    public?: boolean
  }
  interface FastifyRequest {
    /** A short digest of the caller's token, never the token: for logs and rate limits. */
    tokenId: string | null
  }
}

const WRITE_METHODS = new Set(['PUT', 'PATCH', 'DELETE', 'POST'])
const BEARER = /^Bearer +([\x21-\x7e]+) *$/i
const REALM = 'Bearer realm="seller-state"'

const digest = (token: string): Buffer => createHash('sha256').update(token).digest()

export interface AccessControlOptions {
  apiKeys: ApiKey[]
  /** Routes under these paths are open: routes registered by other plugins carry no config. */
  publicPrefixes: string[]
  /** Failed authentications per address per window before 429; 0: no limit. */
  failedAuthMax: number
  failedAuthWindow: string
  /** How often the failures are summed up in the log. */
  summaryIntervalMs?: number
}

export default fp<AccessControlOptions>(async function accessControl (app, { apiKeys, publicPrefixes, failedAuthMax, failedAuthWindow, summaryIntervalMs = 10_000 }) {
  app.decorateRequest('tokenId', null)
  if (apiKeys.length === 0) return
  // Compared as equal-length digests, every key every time: no timing tells a near miss.
  const keys = apiKeys.map(({ scope, token }) => ({ scope, digest: digest(token) }))
  const failures = failedAuthMax > 0 ? await addressBudget(app, failedAuthMax, failedAuthWindow) : null
  const summary = new FailureSummary(app.log, summaryIntervalMs)
  app.addHook('onClose', async () => summary.stop())

  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.public === true) return
    const route = request.routeOptions.url ?? ''
    if (publicPrefixes.some((prefix) => route === prefix || route.startsWith(`${prefix}/`))) return
    const token = BEARER.exec(request.headers.authorization ?? '')?.[1]
    const presented = token === undefined ? null : digest(token)
    let scope: ApiKey['scope'] | null = null
    for (const key of keys) {
      if (presented !== null && timingSafeEqual(key.digest, presented) && scope !== 'write') scope = key.scope
    }
    if (scope === null) {
      const budget = await failures?.spend(request)
      summary.count(request.ip, budget?.exceeded === true)
      if (budget?.exceeded === true) {
        // Closing the connection makes each further try cost the client a new one.
        reply.header('retry-after', String(budget.retryAfterSeconds)).header('connection', 'close')
        throw new FailedAuthenticationsError(budget.retryAfterSeconds)
      }
      reply.header('www-authenticate', REALM)
      throw new UnauthorizedError(token === undefined ? 'send Authorization: Bearer <token>' : 'the token is not valid; send Authorization: Bearer <token> with a token of API_KEYS')
    }
    if (WRITE_METHODS.has(request.method) && scope !== 'write') {
      reply.header('www-authenticate', `${REALM}, error="insufficient_scope"`)
      throw new ForbiddenError()
    }
    request.tokenId = (presented as Buffer).toString('hex').slice(0, 12)
    request.log = request.log.child({ token: request.tokenId })
  })
}, { name: 'access-control' })
