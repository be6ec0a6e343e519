/**
 * The floor: the cheapest route that stores state in Redis, with one round trip a request and
 * nothing else (no validation, access control, metrics, ETag or index). GET sends the `doc`
 * field of the state hash as it is (one HGET); PUT stores the body's text in it with the
 * service's TTL (one MULTI of HSET and EXPIRE) and sends it back, as the service does.
 * Key names from the service's single-node key space, under the prefix given in KEY_PREFIX. Logging off.
 */
import Fastify from 'fastify'
import { Redis } from 'ioredis'
import { createKeySpace } from '../src/redis/keys.js'

const STATE_TTL_SECONDS = 604_800
const keys = createKeySpace(process.env.KEY_PREFIX ?? 'bench:floor:')
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
const app = Fastify({ logger: false })

app.removeAllContentTypeParsers()
app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => { done(null, body) })

app.get('/health', async () => ({ status: 'ok' }))

const JSON_TYPE = 'application/json; charset=utf-8'

app.get<{ Params: { contactId: string } }>('/seller/state/:contactId', async (request, reply) => {
  const doc = await redis.hget(keys.of(request.params.contactId).state(request.params.contactId), 'doc')
  reply.code(doc === null ? 404 : 200).type(JSON_TYPE)
  return doc ?? '{}'
})

app.put<{ Params: { contactId: string }, Body: string }>('/seller/state/:contactId', async (request, reply) => {
  const key = keys.of(request.params.contactId).state(request.params.contactId)
  await redis.multi().hset(key, 'doc', request.body).expire(key, STATE_TTL_SECONDS).exec()
  reply.type(JSON_TYPE)
  return request.body
})

const close = (): void => {
  app.close().then(() => redis.quit()).then(() => process.exit(0), () => process.exit(1))
}
process.once('SIGTERM', close)
process.once('SIGINT', close)

await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' })
