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
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { CONTENT_SECURITY_POLICY } from '../plugins/security-headers.js'
import { errorBody } from './error-body.js'

interface ParserError extends Error {
  code?: string
  /** llhttp's reason, such as "Invalid header value char": safe and useful to the client. */
  reason?: string
}

/** The headers of security-headers.ts that matter for a JSON error, and the body's own. */
function errorHeaders (body: string): Record<string, string> {
  return {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'x-content-type-options': 'nosniff',
    'content-security-policy': CONTENT_SECURITY_POLICY,
    connection: 'close'
  }
}

/** Writes a whole JSON error on a socket no response object owns, then closes it. */
function answerOnSocket (socket: Socket, statusCode: number, message: string, code: string): void {
  if (socket.writable) {
    const payload = errorBody(statusCode, message, code)
    const body = JSON.stringify(payload)
    const head = Object.entries(errorHeaders(body)).map(([name, value]) => `${name}: ${value}\r\n`).join('')
    socket.write(`HTTP/1.1 ${statusCode} ${payload.error}\r\n${head}\r\n${body}`)
  }
  socket.destroy()
}

function answerFor (err: ParserError): { statusCode: number, message: string, code: string } {
  if (err.code === 'HPE_HEADER_OVERFLOW') return { statusCode: 431, message: 'The request headers exceed 16 KB', code: 'HEADERS_TOO_LARGE' }
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return { statusCode: 408, message: 'The request was not received in time', code: 'REQUEST_TIMEOUT' }
  const reason = typeof err.reason === 'string' ? err.reason : 'the request is not valid HTTP/1.1'
  return { statusCode: 400, message: `Malformed request: ${reason}`, code: 'MALFORMED_REQUEST' }
}

export function clientErrorHandler (this: FastifyInstance, err: ParserError, socket: Socket): void {
  // A reset connection has no one left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  this.log.info({ err: { code: err.code, message: err.message } }, 'Malformed request refused')
  // Garbage after a complete request: that request is being served and its answer must not be
  // replaced by this one (its write may already be done). Close once it is sent.
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage
  if (inFlight != null && inFlight.req.complete && !inFlight.writableFinished) {
    inFlight.shouldKeepAlive = false
    inFlight.once('finish', () => socket.destroySoon())
    return
  }
  const { statusCode, message, code } = answerFor(err)
  answerOnSocket(socket, statusCode, message, code)
}

/** Listeners for what Node hands to the server instead of to Fastify. */
export function answerOutsideFastify (server: Server): void {
  // A client may close its sending side once its request is sent (shutdown(SHUT_WR), `nc -N`).
  // By default Node then aborts the request, so a write could be done and its answer never sent.
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true
  server.on('connect', (_request: IncomingMessage, socket: Socket) => {
    answerOnSocket(socket, 405, 'CONNECT is not supported: this is not a proxy', 'METHOD_NOT_ALLOWED')
  })
  server.on('upgrade', (_request: IncomingMessage, socket: Socket) => {
    answerOnSocket(socket, 400, 'Upgrade is not supported: send the request without Upgrade and Connection: Upgrade', 'UPGRADE_NOT_SUPPORTED')
  })
  server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => {
    const payload = errorBody(417, `Expect: ${request.headers.expect ?? ''} is not supported (only 100-continue)`, 'EXPECTATION_FAILED')
    const body = JSON.stringify(payload)
    response.writeHead(417, errorHeaders(body)).end(body)
  })
}
