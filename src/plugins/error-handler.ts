/**
 * Root error and not-found handlers: every error leaves as `{statusCode, error, message, code}`.
 * Client errors say what was wrong; server errors are logged with the request's context and
 * reach the client without internals, except the service's own documented ones.
 */
import fp from 'fastify-plugin'
import type { FastifyError } from 'fastify'
import { PUBLIC_ERROR_CODES, UnauthorizedError } from '../errors.js'
import { errorBody } from '../http/error-body.js'

/** Seconds a client should wait before retrying while storage is unavailable. */
export const RETRY_AFTER_SECONDS = 1

export default fp(async function errorHandler (app) {
  app.setErrorHandler(function (error: FastifyError, request, reply) {
    const statusCode = error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500
    const isPublic = statusCode < 500 || PUBLIC_ERROR_CODES.has(error.code)
    if (statusCode >= 500) request.log.error({ err: error }, 'Request failed')
    // Failed authentications are summed up per interval by access-control.ts, and limits (429)
    // show in the HTTP metrics: a line each would let a flood of them flood the log.
    else if (statusCode === 429) request.log.debug({ err: { code: error.code, message: error.message } }, 'Request limited')
    else if (!(error instanceof UnauthorizedError)) request.log.info({ err: { code: error.code, message: error.message } }, 'Request refused')
    if (statusCode === 503) reply.header('retry-after', String(RETRY_AFTER_SECONDS))
    return reply.code(statusCode).send(isPublic
      ? errorBody(statusCode, error.message, error.code)
      : errorBody(statusCode, 'Internal Server Error'))
  })

  app.setNotFoundHandler(function (request, reply) {
    return reply.code(404).send(errorBody(404, `Route ${request.method} ${request.url.split('?')[0]} not found`, 'ROUTE_NOT_FOUND'))
  })
}, { name: 'error-handler' })
