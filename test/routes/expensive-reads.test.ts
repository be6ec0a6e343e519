/**
 * Fair sharing (issue 11): expensive dashboard reads (search, deep pages, view=full, a sort by
 * conversation_started with a filter) run under a limit per token and per replica; past it they
 * get 429 or 503 with Retry-After at once, while cheap reads and the bot's path go on.
 */
import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { botState, build, privateRedis, putState } from '../helper.js'
import { ConcurrencyGate } from '../../src/http/concurrency-gate.js'

const READ = 'read-token-0123456789abcdef'
const OTHER = 'other-token-0123456789abcdef'
const WRITE = 'write-token-0123456789abcdef'
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` })

t.test('the gate admits up to its limits and counts each client apart', async (t) => {
  const gate = new ConcurrencyGate(3, 2)
  t.equal(gate.enter('a'), null)
  t.equal(gate.enter('a'), null)
  t.equal(gate.enter('a'), 'client', 'a third for the same client')
  t.equal(gate.enter('b'), null)
  t.equal(gate.enter('c'), 'replica', 'a fourth in the replica')
  gate.leave('a')
  t.equal(gate.enter('c'), null, 'room again once one left')
  gate.leave('a')
  gate.leave('b')
  gate.leave('c')
  t.equal(gate.enter('a'), null)
  t.equal(gate.enter('a'), null)
})

t.test('past the limits: 429 for the token, 503 for the replica; cheap reads go on', async (t) => {
  const server = await privateRedis(t)
  const { app } = await build(t, {
    REDIS_URL: server.url,
    API_KEYS: `read:${READ},read:${OTHER},write:${WRITE}`,
    EXPENSIVE_READS_PER_TOKEN: '1',
    EXPENSIVE_READS_PER_REPLICA: '2'
  })
  for (let i = 0; i < 5; i++) await putState(app, `contact-${i}`, botState({ contact_id: `contact-${i}`, seller_name: `Ann ${i}` }), bearer(WRITE))
  const search = async (token: string, query = 'q=ann'): Promise<LightMyRequestResponse> => await app.inject({ url: `/seller/active?${query}`, headers: bearer(token) })

  // Redis frozen: the first searches stay in flight while the others come.
  const frozen = server.freeze(400)
  await new Promise((resolve) => setTimeout(resolve, 50))
  const first = search(READ)
  const second = search(OTHER, 'view=full')
  await new Promise((resolve) => setTimeout(resolve, 50))
  const sameToken = await search(READ, 'page=6&page_size=200')
  t.equal(sameToken.statusCode, 429, 'a second expensive read of the same token')
  t.match(sameToken.json(), { code: 'RATE_LIMITED', message: /already runs 1 expensive dashboard reads/ })
  t.equal(sameToken.headers['retry-after'], '1')
  const thirdToken = await app.inject({ url: '/seller/active?sort=conversation_started&stage=Q2', headers: bearer(WRITE) })
  t.equal(thirdToken.statusCode, 503, 'a third in the replica')
  t.match(thirdToken.json(), { code: 'OVERLOADED', message: /expensive dashboard reads/ })
  t.equal(thirdToken.headers['retry-after'], '1')
  const cheap = app.inject({ url: '/seller/active?page_size=5', headers: bearer(READ) })
  await frozen
  t.equal((await cheap).statusCode, 200, 'a cheap page of the same token is not limited')
  t.equal((await first).statusCode, 200)
  t.equal((await first).json().total_count, 5, 'the search found its matches')
  t.equal((await second).statusCode, 200)
  t.equal((await search(READ)).statusCode, 200, 'once done, the token may search again')
})
