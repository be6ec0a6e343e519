/**
 * Answers to requests that never reach Fastify's routing, which Node would otherwise answer bare
 * (no JSON, no security headers) or not at all: what its HTTP parser rejects (headers over
 * 16 KB, a raw newline in the path, a broken chunked body, a request not received within
 * REQUEST_TIMEOUT_MS), CONNECT (Node drops the connection when no one listens for it), an
 * `Expect` other than 100-continue (Node's bare 417), a client that half-closes its connection
 * after its request (Node aborts the request) and `Upgrade` (this service speaks plain
 * HTTP/1.1; Node would serve such a request as a normal one but stop checking its body, so one
 * with a broken body held its connection forever, past any timeout).
 */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyBaseLogger, FastifyError, FastifyInstance } from 'fastify'
import {
  ExpectationFailedError, HeadersTooLargeError, MalformedRequestError, MethodNotAllowedError, RequestTimeoutError, UpgradeNotSupportedError
} from '../errors.js'
import { CONTENT_SECURITY_POLICY } from '../plugins/security-headers.js'
import { errorBody } from './error-body.js'
import { requestIdOf } from './request-id.js'

interface ParserError extends Error {
  code?: string
  /** llhttp's reason, such as "Invalid header value char": safe and useful to the client. */
  reason?: string
}

/** The headers of security-headers.ts that matter for a JSON error, the request id and the body's own. */
function errorHeaders (body: string, requestId: string): Record<string, string> {
  return {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'x-content-type-options': 'nosniff',
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-request-id': requestId,
    connection: 'close'
  }
}

interface Refusal { statusCode: number, message: string, code: string }

const refusal = (error: FastifyError): Refusal => ({ statusCode: error.statusCode ?? 400, message: error.message, code: error.code })

/** The line request-log.ts writes for a refusal, for the requests it never sees. */
function logRefusal (log: FastifyBaseLogger, requestId: string, { statusCode, message, code }: Refusal, request?: IncomingMessage): void {
  const where = request === undefined ? {} : { method: request.method, path: request.url?.split('?')[0] }
  log.info({ reqId: requestId, ...where, status: statusCode, code, reason: message }, 'request refused')
}

/** Writes a whole JSON error on a socket no response object owns, logs it, then closes the socket. */
function answerOnSocket (log: FastifyBaseLogger, socket: Socket, refused: Refusal, request?: IncomingMessage): void {
  const requestId = request === undefined ? randomUUID() : requestIdOf(request)
  logRefusal(log, requestId, refused, request)
  if (socket.writable) {
    const payload = errorBody(refused.statusCode, refused.message, refused.code)
    const body = JSON.stringify(payload)
    const head = Object.entries(errorHeaders(body, requestId)).map(([name, value]) => `${name}: ${value}\r\n`).join('')
    socket.write(`HTTP/1.1 ${refused.statusCode} ${payload.error}\r\n${head}\r\n${body}`)
  }
  socket.destroy()
}

function answerFor (err: ParserError): Refusal {
  if (err.code === 'HPE_HEADER_OVERFLOW') return refusal(new HeadersTooLargeError())
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return refusal(new RequestTimeoutError())
  return refusal(new MalformedRequestError(typeof err.reason === 'string' ? err.reason : 'the request is not valid HTTP/1.1'))
}

export function clientErrorHandler (this: FastifyInstance, err: ParserError, socket: Socket): void {
  // A reset connection has no one left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  // Garbage after a complete request: that request is being served and its answer must not be
  // replaced by this one (its write may already be done). Close once it is sent.
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage
  if (inFlight != null && inFlight.req.complete && !inFlight.writableFinished) {
    this.log.info({ err: { code: err.code, message: err.message } }, 'Bytes after a complete request: the connection closes after its answer')
    inFlight.shouldKeepAlive = false
    inFlight.once('finish', () => socket.destroySoon())
    return
  }
  answerOnSocket(this.log, socket, answerFor(err))
}

/** Listeners for what Node hands to the app's server instead of to Fastify. */
export function answerOutsideFastify (app: FastifyInstance): void {
  const server = app.server as Server & { httpAllowHalfOpen: boolean }
  // A client may close its sending side once its request is sent (shutdown(SHUT_WR), `nc -N`).
  // By default Node then aborts the request, so a write could be done and its answer never sent.
  server.httpAllowHalfOpen = true
  server.on('connect', (request: IncomingMessage, socket: Socket) => {
    answerOnSocket(app.log, socket, refusal(new MethodNotAllowedError()), request)
  })
  server.on('upgrade', (request: IncomingMessage, socket: Socket) => {
    answerOnSocket(app.log, socket, refusal(new UpgradeNotSupportedError()), request)
  })
  server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => {
    const refused = refusal(new ExpectationFailedError(request.headers.expect ?? ''))
    const requestId = requestIdOf(request)
    logRefusal(app.log, requestId, refused, request)
    const body = JSON.stringify(errorBody(refused.statusCode, refused.message, refused.code))
    response.writeHead(417, errorHeaders(body, requestId)).end(body)
  })
}
