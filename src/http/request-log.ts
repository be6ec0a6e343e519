/**
 * Fastify's own per-request log lines, at levels that match what happened: a success is one
 * debug line, so at the default `info` level the bot's hot path writes no log at all; refusals
 * and failures are logged by the error handler, with their reason.
 */
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify'

export class RequestLog extends LogController {
  // The completion line says all a received line would.
  override incomingRequest (): void {}

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error == null && reply.statusCode < 400) {
      request.log.debug({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed')
    }
  }
}
