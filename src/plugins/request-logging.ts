/**
 * One log line per request, at a level that matches what happened: a success is a debug line,
 * so at the default `info` level the bot's hot path writes no log at all; refusals and failures
 * are logged by the error handler, with their reason.
 */
import fp from 'fastify-plugin'

export default fp(async function requestLogging (app) {
  app.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode < 400) {
      request.log.debug({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed')
    }
  })
}, { name: 'request-logging' })
