/**
 * The answer to a request Node's HTTP parser rejects before Fastify sees it (headers over 16 KB,
 * a raw newline in the path, a broken chunked body, a header that never ends): the service's
 * JSON error and security headers, where Fastify's default sends a bare body without them.
 */
import type { Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { CONTENT_SECURITY_POLICY } from '../plugins/security-headers.js'
import { errorBody } from './error-body.js'

interface ParserError extends Error {
  code?: string
  /** llhttp's reason, such as "Invalid header value char": safe and useful to the client. */
  reason?: string
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
  const { statusCode, message, code } = answerFor(err)
  this.log.info({ err: { code: err.code, message: err.message } }, 'Malformed request refused')
  if (socket.writable) {
    const payload = errorBody(statusCode, message, code)
    const body = JSON.stringify(payload)
    // The headers of security-headers.ts that matter for a JSON error.
    socket.write(`HTTP/1.1 ${statusCode} ${payload.error}\r\n` +
      'content-type: application/json; charset=utf-8\r\n' +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      'x-content-type-options: nosniff\r\n' +
      `content-security-policy: ${CONTENT_SECURITY_POLICY}\r\n` +
      'connection: close\r\n\r\n' + body)
  }
  socket.destroy()
}
