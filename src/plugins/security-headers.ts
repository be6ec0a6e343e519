/**
 * Security headers on every answer, errors included (@fastify/helmet): `nosniff`, no framing, a
 * Content-Security-Policy that lets a browser run nothing from a JSON answer. Registered before
 * every other hook, so that an answer cut short by access control or load shedding has them too.
 * The API's documentation pages set their own policy (openapi.ts).
 */
import fp from 'fastify-plugin'
import helmet from '@fastify/helmet'

const CSP_DIRECTIVES = { 'default-src': ["'none'"], 'frame-ancestors': ["'none'"] }

/** The policy as a header value, for answers written without Fastify (client-error.ts). */
export const CONTENT_SECURITY_POLICY = Object.entries(CSP_DIRECTIVES).map(([name, values]) => `${name} ${values.join(' ')}`).join(';')

export default fp(async function securityHeaders (app) {
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    // Plain HTTP inside the deployment: HSTS is the TLS terminator's to send.
    strictTransportSecurity: false
  })
}, { name: 'security-headers' })
