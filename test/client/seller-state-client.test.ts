/**
 * SellerStateClient end to end: a listening service on a real Redis, over HTTP.
 */
import t from 'tap'
import { SellerStateClient, SellerStateError } from '../../src/client/seller-state-client.js'
import { botState, build, privateRedis } from '../helper.js'

const WRITE = 'write-token-0123456789abcdef'

async function listening (t: Parameters<typeof build>[0], env: Record<string, string> = {}): Promise<string> {
  const { app } = await build(t, { API_KEYS: `write:${WRITE}`, ...env })
  return await app.listen({ port: 0, host: '127.0.0.1' })
}

t.test('get, put, patch, delete with ETags; listActive and summary', async (t) => {
  const client = new SellerStateClient({ baseUrl: await listening(t), token: WRITE })
  t.equal(await client.get('contact-1'), null, 'no state yet')
  const created = await client.put('contact-1', botState(), { create: true })
  t.equal(created.state.contact_id, 'contact-1')
  t.match(created.etag, /^"[\w-]+"$/)

  const patched = await client.patch('contact-1', { stage: 'Q3', current_question: 3 }, { ifMatch: created.etag })
  t.equal(patched.state.stage, 'Q3')
  const read = await client.get('contact-1')
  t.same(read, patched, 'GET gives what PATCH answered, ETag included')

  const stale = await client.put('contact-1', botState(), { ifMatch: created.etag }).catch((err: unknown) => err)
  t.ok(stale instanceof SellerStateError)
  t.match(stale, { status: 412, body: { code: 'PRECONDITION_FAILED' } })

  const page = await client.listActive({ stage: 'Q3' })
  t.same(page.conversations.map((c) => c.contact_id), ['contact-1'])
  t.equal((await client.summary()).by_stage.Q3, 1)
  t.equal((await client.summary('loc-1')).total, 1)

  await client.delete('contact-1')
  t.equal(await client.get('contact-1'), null)
})

t.test('an Idempotency-Key replays; a wrong token is refused', async (t) => {
  const baseUrl = await listening(t)
  const client = new SellerStateClient({ baseUrl, token: WRITE })
  const first = await client.put('contact-1', botState(), { idempotencyKey: 'SM1' })
  const again = await client.put('contact-1', botState(), { idempotencyKey: 'SM1' })
  t.same(again, first)
  const stranger = new SellerStateClient({ baseUrl, token: 'not-a-token-0123456789' })
  t.match(await stranger.get('contact-1').catch((err: unknown) => err), { status: 401, body: { code: 'UNAUTHORIZED' } })
})

t.test('retries while the service answers 503, then gives up with the error', async (t) => {
  const server = await privateRedis(t)
  const client = new SellerStateClient({ baseUrl: await listening(t, { REDIS_URL: server.url }), token: WRITE, attempts: 2 })
  await client.put('contact-1', botState())
  await server.stop()
  const started = Date.now()
  const err = await client.get('contact-1').catch((error: unknown) => error)
  t.match(err, { status: 503, body: { code: 'REDIS_UNAVAILABLE' } })
  t.ok(Date.now() - started >= 900, 'it waited Retry-After (1 s) before its second attempt')
  await server.start()
  const retrying = new SellerStateClient({ baseUrl: await listening(t, { REDIS_URL: server.url }), token: WRITE, attempts: 5 })
  t.equal(await retrying.get('contact-1'), null, 'Redis came back (empty): the answer is the real one')
})
