/**
 * HTTP/1.1 requires a Host header (RFC 9112 3.2). Node's own check answers a bare 400 without a
 * body, so app.ts turns it off and this hook refuses such a request with the service's JSON error.
 */
import fp from 'fastify-plugin'
import { MissingHostError } from '../errors.js'

export default fp(async function hostHeader (app) {
  app.addHook('onRequest', (request, _reply, done) => {
    done(request.raw.httpVersion === '1.1' && request.headers.host === undefined ? new MissingHostError() : undefined)
  })
}, { name: 'host-header' })
