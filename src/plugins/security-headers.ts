/**
 * Security headers on every answer, errors included: `nosniff`, no framing, a
 * Content-Security-Policy that lets a browser run nothing from a JSON answer, no referrer, and
 * the cross-origin isolation headers; the set @fastify/helmet sends, minus HSTS (plain HTTP
 * inside the deployment: HSTS is the TLS terminator's to send). The headers never change, so
 * they are set from one frozen object by one callback hook: helmet computes them on every request
 * in two hooks, which cost a quarter of the throughput of the bot's GET here.
 * Registered before every other hook, so that an answer cut short by access control or load
 * shedding has them too. The API's documentation pages set their own policy (openapi.ts).
 */
import fp from 'fastify-plugin'

/** The policy as a header value, also for answers written without Fastify (client-error.ts). */
export const CONTENT_SECURITY_POLICY = "default-src 'none';frame-ancestors 'none'"

const SECURITY_HEADERS = Object.freeze({
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0'
})

export default fp(async function securityHeaders (app) {
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(SECURITY_HEADERS)
    done()
  })
}, { name: 'security-headers' })
