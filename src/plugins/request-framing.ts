/**
 * Requests Node's parser lets through although they are not what the client sent, refused before
 * any route runs:
 * - more headers than Node keeps (server.maxHeadersCount, 2,000 names and values): Node drops the
 *   rest silently, so a request with a thousand junk headers lost its If-Match or its
 *   Transfer-Encoding and ran as another request: 431;
 * - a Transfer-Encoding that does not end with chunked, which cannot be framed (RFC 9112 6.3):
 *   Node finds it only when it reaches the body, after the route has run: 400.
 * Found by the chaos suite: a DELETE with 1,000 headers and `Transfer-Encoding: text/html` deleted
 * the state, then was answered 400.
 */
import fp from 'fastify-plugin'
import { MalformedRequestError, TooManyHeadersError } from '../errors.js'

const ENDS_WITH_CHUNKED = /(^|,)[ \t]*chunked[ \t]*$/i
// Node's default when server.maxHeadersCount is unset; the count is of names and values.
const NODE_MAX_HEADERS_COUNT = 2000

export default fp(async function requestFraming (app) {
  const kept = app.server.maxHeadersCount ?? NODE_MAX_HEADERS_COUNT
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.raw.rawHeaders.length > kept) return done(new TooManyHeadersError(kept / 2))
    const coding = request.headers['transfer-encoding']
    done(coding !== undefined && !ENDS_WITH_CHUNKED.test(coding)
      ? new MalformedRequestError('Transfer-Encoding must end with chunked')
      : undefined)
  })
}, { name: 'request-framing' })
