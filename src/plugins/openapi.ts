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
import { PACKAGE } from '../package-info.js'

export const DOCS_PREFIX = '/docs'

export interface OpenapiOptions {
  /** Requests per address per window; 0: no limit. */
  rateLimit: number
  timeWindow: string
}

interface Parameter { in: string, required?: boolean, schema?: { default?: unknown } }

/**
 * A query parameter with a default is one a client may leave out. The schemas list them as
 * required (so that handlers get the default typed as present), which generated clients would
 * otherwise demand.
 */
function withDefaultedParametersOptional<T extends { paths?: object }> (document: T): T {
  for (const item of Object.values(document.paths ?? {}) as Array<Record<string, { parameters?: Parameter[] }>>) {
    for (const operation of Object.values(item)) {
      for (const parameter of operation.parameters ?? []) {
        if (parameter.in === 'query' && parameter.schema?.default !== undefined) parameter.required = false
      }
    }
  }
  return document
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
      // 3.1: its schemas are JSON Schema 2020-12, as TypeBox writes them (examples, type null).
      openapi: '3.1.0',
      info: {
        title: 'seller-state',
        version: PACKAGE.version,
        description: 'Durable conversation state of the seller-qualification SMS bot, and the dashboard\'s view of it.',
        license: { name: 'UNLICENSED: proprietary, all rights reserved' }
      },
      servers: [{ url: 'http://127.0.0.1:3000', description: 'A local service (npm start, docker compose up)' }],
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
    },
    transformObject: (document) => 'openapiObject' in document ? withDefaultedParametersOptional(document.openapiObject) : document.swaggerObject
  })
  await app.register(swaggerUi, {
    routePrefix: DOCS_PREFIX,
    // The page's own Content-Security-Policy replaces the strict one of security-headers.ts on
    // these routes. The service speaks plain HTTP: upgrading the page's requests would break it.
    staticCSP: true,
    transformStaticCSP: (header) => header.replace(/ ?upgrade-insecure-requests;?/, '')
  })
}, { name: 'openapi' })
