/**
 * Root error and not-found handlers: every error leaves as `{statusCode, error, message, code}`.
 * Client errors say what was wrong; server errors reach the client without internals, except the
 * service's own documented ones. Each is logged once, when its answer is sent (request-log.ts).
 */
import fp from 'fastify-plugin'
import type { FastifyError } from 'fastify'
import { PUBLIC_ERROR_CODES, RouteNotFoundError } from '../errors.js'
import { errorBody } from '../http/error-body.js'
import { instructiveMessage } from '../http/instructive-messages.js'

/** Seconds a client should wait before retrying while storage is unavailable. */
export const RETRY_AFTER_SECONDS = 1

export default fp(async function errorHandler (app) {
  app.decorateRequest('failure', null)

  app.setErrorHandler(function (error: FastifyError, request, reply) {
    const statusCode = error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500
    const isPublic = statusCode < 500 || PUBLIC_ERROR_CODES.has(error.code)
    const message = isPublic ? instructiveMessage(error, request) : 'Internal Server Error'
    request.failure = { error, message }
    if (statusCode === 503) reply.header('retry-after', String(RETRY_AFTER_SECONDS))
    return reply.code(statusCode).send(isPublic ? errorBody(statusCode, message, error.code) : errorBody(statusCode, message))
  })

  app.setNotFoundHandler(function (request) {
    throw new RouteNotFoundError(request.method, request.url.split('?')[0] ?? '')
  })
}, { name: 'error-handler' })
