/**
 * The OpenAPI 3 document, generated from the routes' TypeBox schemas, at /docs/json, and a page
 * to browse it at /docs. `npm run openapi` writes it to openapi.json for client generators.
 * The pages are open (no token), so they are limited per address instead.
 */
import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { addressBudget } from '../http/address-limiter.js'
import { AddressRateLimitedError } from '../errors.js'

export const DOCS_PREFIX = '/docs'

export interface OpenapiOptions {
  /** Requests per address per window; 0: no limit. */
  rateLimit: number
  timeWindow: string
}

export default fp<OpenapiOptions>(async function openapi (app, { rateLimit, timeWindow }) {
  if (rateLimit > 0) {
    const budget = await addressBudget(app, rateLimit, timeWindow)
    app.addHook('onRequest', async (request, reply) => {
      const route = request.routeOptions.url ?? ''
      if (route !== DOCS_PREFIX && !route.startsWith(`${DOCS_PREFIX}/`)) return
      const { exceeded, retryAfterSeconds } = await budget.spend(request)
      if (!exceeded) return
      reply.header('retry-after', String(retryAfterSeconds))
      throw new AddressRateLimitedError(retryAfterSeconds)
    })
  }

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'seller-state',
        version: '1.0.0',
        description: 'Durable conversation state of the seller-qualification SMS bot, and the dashboard\'s view of it.'
      },
      tags: [
        { name: 'state', description: 'The bot: one GET and one PUT (or PATCH) per incoming SMS' },
        { name: 'dashboard', description: 'Active conversations: pages and counts' },
        { name: 'health', description: 'Liveness and readiness, always open' },
        { name: 'operations', description: 'Prometheus metrics' }
      ],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'A token of API_KEYS: read, or write (which reads too)' }
        }
      },
      security: [{ bearer: [] }]
    }
  })
  await app.register(swaggerUi, {
    routePrefix: DOCS_PREFIX,
    // The page's own Content-Security-Policy replaces the strict one of security-headers.ts on
    // these routes. The service speaks plain HTTP: upgrading the page's requests would break it.
    staticCSP: true,
    transformStaticCSP: (header) => header.replace(/ ?upgrade-insecure-requests;?/, '')
  })
}, { name: 'openapi' })
