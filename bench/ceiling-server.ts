/**
 * The ceiling: a bare Fastify app with the service's routes and none of its work. GET answers
 * the same ~2 KB document from memory (a pre-serialized string); PUT echoes the body back
 * (Fastify's default JSON parser and serializer, as a bare route has them). Logging off.
 */
import Fastify from 'fastify'
import { documentTemplate } from './state-doc.js'

const template = documentTemplate(0, Date.now())
const document = `${template.before}c0000000${template.after}`

const app = Fastify({ logger: false })

app.get('/health', async () => ({ status: 'ok' }))

app.get('/seller/state/:contactId', (_request, reply) => {
  reply.header('content-type', 'application/json; charset=utf-8').send(document)
})

app.put('/seller/state/:contactId', (request, reply) => {
  reply.send(request.body)
})

const close = (): void => { app.close().then(() => process.exit(0), () => process.exit(1)) }
process.once('SIGTERM', close)
process.once('SIGINT', close)

await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' })
