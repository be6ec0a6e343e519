/**
 * X-Request-Id on every answer: the caller's own id when it sent a sensible one, else the one
 * generated for it (request-id.ts). A client holding a bare 500 can quote it, and an operator
 * finds the request's log line by it. Registered right after the security headers, so that
 * answers cut short by access control or load shedding have it too.
 */
import fp from 'fastify-plugin'

export default fp(async function requestIdHeader (app) {
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id)
    done()
  })
}, { name: 'request-id-header' })
