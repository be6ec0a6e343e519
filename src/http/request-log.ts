/**
 * Fastify's own per-request log lines, at levels that match what happened: a success is one
 * debug line, so at the default `info` level the bot's hot path writes no log at all; refusals
 * and failures are logged by the error handler, with their reason. Every line carries the
 * request's id (request-id.ts).
 */
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify'

export class RequestLog extends LogController {
  // At trace only: the completion line says the rest, and a request that never completes (a
  // crash, a shutdown) shows here.
  override incomingRequest (request: FastifyRequest): void {
    request.log.trace({ req: request }, 'incoming request')
  }

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error == null && reply.statusCode < 400) {
      request.log.debug({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed')
    }
  }
}
