/**
 * REQUIRE_PRECONDITION=true: a write of an existing contact without If-Match is a 428 (RFC 6585)
 * and changes nothing; creating and deleting nothing stay possible. Off by default.
 */
import t from 'tap'
import { botState, build, storedKeys, putState as put, patchState as patch, deleteState as del, getState as get, metricValue } from '../helper.js'

const REQUIRED = { REQUIRE_PRECONDITION: 'true' }

t.test('creating a contact needs no If-Match', async (t) => {
  const { app } = await build(t, REQUIRED)
  const res = await put(app, 'contact-1', botState())
  t.equal(res.statusCode, 201)
  t.equal(res.headers.location, '/seller/state/contact-1')
  t.equal((await get(app, 'contact-1')).statusCode, 200)
})

t.test('PUT, PATCH and DELETE of an existing contact without If-Match are a 428 and change nothing', async (t) => {
  const ctx = await build(t, REQUIRED)
  await put(ctx.app, 'contact-1', botState())
  const before = await get(ctx.app, 'contact-1')
  const pttlBefore = await ctx.redis.pttl(ctx.keys.of('contact-1').state('contact-1'))

  const refusals = [
    ['PUT', await put(ctx.app, 'contact-1', botState({ stage: 'Q3' }))],
    ['PATCH', await patch(ctx.app, 'contact-1', { stage: 'Q3' })],
    ['DELETE', await del(ctx.app, 'contact-1')]
  ] as const
  for (const [name, res] of refusals) {
    t.equal(res.statusCode, 428, name)
    t.match(res.json(), {
      statusCode: 428,
      error: 'Precondition Required',
      code: 'PRECONDITION_REQUIRED',
      message: /If-Match/
    }, name)
  }
  const after = await get(ctx.app, 'contact-1')
  t.equal(after.statusCode, 200, 'still there')
  t.equal(after.body, before.body, 'unchanged')
  t.equal(after.headers.etag, before.headers.etag)
  t.ok(await ctx.redis.pttl(ctx.keys.of('contact-1').state('contact-1')) <= pttlBefore, 'the TTL was not reset')
  t.not(await ctx.redis.zscore(ctx.keys.of('contact-1').activeIndex, 'contact-1'), null, 'still indexed')
})

t.test('with the current If-Match every write goes through', async (t) => {
  const { app } = await build(t, REQUIRED)
  let etag = (await put(app, 'contact-1', botState())).headers.etag as string

  const replaced = await put(app, 'contact-1', botState({ stage: 'Q3' }), { 'if-match': etag })
  t.equal(replaced.statusCode, 200, 'PUT')
  etag = replaced.headers.etag as string

  const patched = await patch(app, 'contact-1', { stage: 'Q4' }, { 'if-match': etag })
  t.equal(patched.statusCode, 200, 'PATCH')
  t.equal(patched.json().stage, 'Q4')
  etag = patched.headers.etag as string

  const stale = await put(app, 'contact-1', botState(), { 'if-match': replaced.headers.etag as string })
  t.equal(stale.statusCode, 412, 'a stale If-Match still fails')

  const star = await patch(app, 'contact-1', { stage: 'QUALIFIED' }, { 'if-match': '*' })
  t.equal(star.statusCode, 200, 'If-Match: * is a precondition too')
  etag = star.headers.etag as string

  const deleted = await del(app, 'contact-1', { 'if-match': etag })
  t.equal(deleted.statusCode, 204, 'DELETE')
  t.equal((await get(app, 'contact-1')).statusCode, 404)
})

t.test('If-None-Match: * on an existing contact is a 412, not a way around the rule', async (t) => {
  const { app } = await build(t, REQUIRED)
  await put(app, 'contact-1', botState())
  const before = await get(app, 'contact-1')
  const refusals = [
    ['PUT', await put(app, 'contact-1', botState({ stage: 'Q3' }), { 'if-none-match': '*' })],
    ['PATCH', await patch(app, 'contact-1', { stage: 'Q3' }, { 'if-none-match': '*' })],
    ['DELETE', await del(app, 'contact-1', { 'if-none-match': '*' })]
  ] as const
  for (const [name, res] of refusals) {
    t.equal(res.statusCode, 412, name)
    t.equal(res.json().code, 'PRECONDITION_FAILED', name)
  }
  t.equal((await get(app, 'contact-1')).body, before.body, 'unchanged')

  const created = await put(app, 'contact-2', botState({ contact_id: 'contact-2' }), { 'if-none-match': '*' })
  t.equal(created.statusCode, 201, 'If-None-Match: * still creates')
})

t.test('DELETE of a contact without state needs no If-Match', async (t) => {
  const ctx = await build(t, REQUIRED)
  const res = await del(ctx.app, 'nobody')
  t.equal(res.statusCode, 204)
  t.same(await storedKeys(ctx), [])
})

t.test('PATCH of a contact without state is still a 404', async (t) => {
  const { app } = await build(t, REQUIRED)
  const res = await patch(app, 'nobody', { stage: 'Q3' })
  t.equal(res.statusCode, 404)
  t.equal(res.json().code, 'STATE_NOT_FOUND')
})

t.test('by default the same unconditional writes go through', async (t) => {
  const ctx = await build(t)
  t.equal(ctx.config.requirePrecondition, false)
  t.equal((await put(ctx.app, 'contact-1', botState())).statusCode, 201)
  t.equal((await put(ctx.app, 'contact-1', botState({ stage: 'Q3' }))).statusCode, 200, 'PUT')
  const patched = await patch(ctx.app, 'contact-1', { stage: 'Q4' })
  t.equal(patched.statusCode, 200, 'PATCH')
  t.equal(JSON.parse((await get(ctx.app, 'contact-1')).body).stage, 'Q4')
  t.equal((await del(ctx.app, 'contact-1')).statusCode, 204, 'DELETE')
  t.equal((await get(ctx.app, 'contact-1')).statusCode, 404)
  t.equal(await metricValue(ctx.app, 'seller_state_precondition_failures_total{status="428"}'), undefined, 'no 428 counted')
})

t.test('seller_state_precondition_failures_total counts the 428s and the 412s', async (t) => {
  const { app } = await build(t, REQUIRED)
  const etag = (await put(app, 'contact-1', botState())).headers.etag as string
  await put(app, 'contact-1', botState({ stage: 'Q3' }))
  await patch(app, 'contact-1', { stage: 'Q3' })
  await del(app, 'contact-1')
  await patch(app, 'contact-1', { stage: 'Q3' })
  const current = (await put(app, 'contact-1', botState({ stage: 'Q3' }), { 'if-match': etag })).headers.etag as string
  await put(app, 'contact-1', botState({ stage: 'Q4' }), { 'if-match': etag }) // stale
  await patch(app, 'contact-1', { stage: 'Q4' }, { 'if-match': etag }) // stale
  await put(app, 'contact-1', botState(), { 'if-none-match': '*' }) // exists
  t.equal((await del(app, 'contact-1', { 'if-match': current })).statusCode, 204)

  t.equal(await metricValue(app, 'seller_state_precondition_failures_total{status="428"}'), 4)
  t.equal(await metricValue(app, 'seller_state_precondition_failures_total{status="412"}'), 3)
})
