/**
 * The answer to a request the router refuses before any hook runs (a path whose
 * percent-encoding is broken, FST_ERR_BAD_URL): the service's JSON error, logged like every
 * refusal, with the security headers and X-Request-Id that the onRequest hooks never get to add.
 * Fastify's own answer has neither.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { CONTENT_SECURITY_POLICY } from '../plugins/security-headers.js'
import { errorBody } from './error-body.js'
import { instructiveMessage } from './instructive-messages.js'

export function frameworkErrorHandler (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const statusCode = error.statusCode ?? 400
  const message = instructiveMessage(error, request)
  request.failure = { error, message }
  reply.code(statusCode)
    .header('x-request-id', request.id)
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .send(errorBody(statusCode, message, error.code))
}
