/**
 * A clean shutdown for clients that keep connections alive: once the app starts closing, every
 * response it still sends says `Connection: close`. Without it a keep-alive connection that
 * carried a request in flight stays open after its answer, and the server waits for it until the
 * grace period runs out.
 */
import fp from 'fastify-plugin'

export default fp(async function gracefulClose (app) {
  let closing = false
  app.addHook('preClose', async () => { closing = true })
  // A callback hook: it runs on every response, and costs no promise.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close')
    done(null, payload)
  })
}, { name: 'graceful-close' })
