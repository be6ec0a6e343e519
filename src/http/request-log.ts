/**
 * One log line per request that did not succeed, at a level that says who must act: a refusal
 * (any 4xx, and a 503 while Redis is away or the service sheds load, whose outage is reported once
 * by redis.ts) is an `info` line without a stack; a real failure is an `error` line with it. A
 * success is a `debug` line, so at the default `info` the bot's hot path writes nothing. Every
 * line carries the request's id (request-id.ts), which the answer's X-Request-Id repeats.
 */
import { LogController, type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify'
import { PUBLIC_ERROR_CODES } from '../errors.js'

/** The error a request was answered with, and the message its client got. */
export interface Failure { error: FastifyError, message: string }

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by error-handler.ts and framework-error.ts. */
    failure: Failure | null
  }
}

/** The levels at which a success gets its line. */
const LINE_PER_SUCCESS = new Set(['debug', 'trace'])

/** What every request line says, a person's first questions: what, where, how it ended, how long. */
function requestFields (request: FastifyRequest, reply: FastifyReply): Record<string, unknown> {
  return {
    method: request.method,
    route: request.routeOptions.url ?? null,
    path: request.url.split('?')[0],
    status: reply.statusCode,
    durationMs: Math.round(reply.elapsedTime * 100) / 100
  }
}

export class RequestLog extends LogController {
  // At trace only: the completion line says the rest, and a request that never completes (a
  // crash, a shutdown) shows here.
  override incomingRequest (request: FastifyRequest): void {
    request.log.trace({ req: request }, 'incoming request')
  }

  override requestCompleted (_error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const status = reply.statusCode
    if (status < 400) {
      // Checked first: at the default level the bot's hot path does not even build the line.
      if (LINE_PER_SUCCESS.has(request.log.level)) request.log.debug(requestFields(request, reply), 'request completed')
      return
    }
    const failure = request.failure
    const code = failure?.error.code
    if (status === 401 || status === 429) {
      // Failed authentications are summed up per interval by access-control.ts and limits show in
      // the HTTP metrics: a line each would let a flood of them flood the log.
      request.log.debug({ ...requestFields(request, reply), code, reason: failure?.message }, 'request refused')
    } else if (status < 500 || status === 503) {
      request.log.info({ ...requestFields(request, reply), code, reason: failure?.message }, 'request refused')
    } else if (code !== undefined && PUBLIC_ERROR_CODES.has(code)) {
      // A documented failure (a value that is not a state of ours): its message says it all.
      request.log.warn({ ...requestFields(request, reply), code, reason: failure?.message }, 'request failed')
    } else {
      request.log.error({ ...requestFields(request, reply), err: failure?.error }, 'request failed')
    }
  }
}
