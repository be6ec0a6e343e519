/**
 * Idempotency-Key on PUT, PATCH and DELETE against a real Redis: a repeat replays the first
 * response and changes nothing, a different request under the same key is a 422, refusals are
 * not remembered, and the record lives in Redis with its TTL.
 */
import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import type { LightMyRequestResponse } from 'fastify'
import { botState, build, putState as put, patchState as patch, deleteState as del, getState as get, storedKeys, metricValue } from '../helper.js'

function key (value: string): Record<string, string> {
  return { 'idempotency-key': value }
}

/** The response a replay must repeat. */
function answer (res: LightMyRequestResponse) {
  return { status: res.statusCode, body: res.body, etag: res.headers.etag }
}

t.test('PUT: the same key twice answers the same and writes once', async (t) => {
  const { app } = await build(t)
  const first = await put(app, 'contact-1', botState(), key('SM-1'))
  t.equal(first.statusCode, 201)
  t.equal(first.headers['idempotent-replayed'], undefined, 'the first answer is not a replay')

  const intervening = await put(app, 'contact-1', botState({ stage: 'Q3' }))
  t.equal(intervening.statusCode, 200, 'another worker writes in between')

  const replay = await put(app, 'contact-1', botState(), key('SM-1'))
  t.strictSame(answer(replay), answer(first), 'the same status, body and ETag')
  t.equal(replay.headers['idempotent-replayed'], 'true')
  t.equal(replay.headers.location, '/seller/state/contact-1', 'a replayed 201 keeps its Location')
  t.match(replay.headers['content-type'], /^application\/json/)

  const read = await get(app, 'contact-1')
  t.equal(JSON.parse(read.body).stage, 'Q3', 'the replay did not overwrite the intervening document')
  t.equal(read.headers.etag, intervening.headers.etag)
})

t.test('PUT over an existing state: a replayed 200 stays a 200', async (t) => {
  const { app } = await build(t)
  await put(app, 'contact-1', botState())
  const first = await put(app, 'contact-1', botState({ stage: 'Q3' }), key('SM-2'))
  t.equal(first.statusCode, 200)
  await put(app, 'contact-1', botState({ stage: 'Q4' }))
  const replay = await put(app, 'contact-1', botState({ stage: 'Q3' }), key('SM-2'))
  t.strictSame(answer(replay), answer(first))
  t.equal(replay.headers['idempotent-replayed'], 'true')
  t.equal(replay.headers.location, undefined, 'no Location on a replayed 200')
  t.equal(JSON.parse((await get(app, 'contact-1')).body).stage, 'Q4')
})

t.test('PATCH: the same key twice answers the same and applies once', async (t) => {
  const { app } = await build(t)
  await put(app, 'contact-1', botState())
  const first = await patch(app, 'contact-1', { stage: 'Q3', motivation: 'relocating' }, key('SM-3'))
  t.equal(first.statusCode, 200)
  t.equal(first.headers['idempotent-replayed'], undefined)
  t.equal(first.json().stage, 'Q3')

  const again = await patch(app, 'contact-1', { stage: 'Q3', motivation: 'relocating' }, key('SM-3'))
  t.strictSame(answer(again), answer(first), 'while the state is the one it made: the same status, body and ETag')
  t.equal(again.headers['idempotent-replayed'], 'true')

  const intervening = await put(app, 'contact-1', botState({ stage: 'Q1' }))
  t.equal(intervening.statusCode, 200)

  // Records keep no copy of the document (issue 11): the one the patch made is gone.
  const replay = await patch(app, 'contact-1', { stage: 'Q3', motivation: 'relocating' }, key('SM-3'))
  t.strictSame(answer(replay), { status: 200, body: '', etag: first.headers.etag }, 'once replaced: the same status and ETag, no body')
  t.equal(replay.headers['idempotent-replayed'], 'true')

  const read = JSON.parse((await get(app, 'contact-1')).body)
  t.strictSame(read, botState({ stage: 'Q1' }), 'the replay did not patch the intervening document')
})

t.test('a record costs the same whatever the size of the document (issue 11)', async (t) => {
  const ctx = await build(t)
  const sizes: number[] = []
  for (const [i, length] of [10, 200_000].entries()) {
    const id = `contact-${i}`
    await put(ctx.app, id, botState({ contact_id: id, extracted_data: { notes: 'n'.repeat(length) } }), key('SM-size'))
    const [record] = (await storedKeys(ctx)).filter((name) => name === ctx.keys.of(id).idempotency(id, 'SM-size'))
    sizes.push(Number(await ctx.redis.memory('USAGE', record as string)))
  }
  t.equal(sizes[0], sizes[1], `${sizes[0]} bytes for a small document and for a 200 KB one`)
  t.ok((sizes[1] as number) < 512, 'under 512 bytes')
})

t.test('DELETE: the same key twice gives 204 twice and deletes once', async (t) => {
  const { app } = await build(t)
  await put(app, 'contact-1', botState())
  const first = await del(app, 'contact-1', key('SM-4'))
  t.equal(first.statusCode, 204)
  t.equal(first.headers['idempotent-replayed'], undefined)
  t.equal((await get(app, 'contact-1')).statusCode, 404)

  t.equal((await put(app, 'contact-1', botState({ stage: 'Q3' }))).statusCode, 201, 'a new state is written in between')

  const replay = await del(app, 'contact-1', key('SM-4'))
  t.equal(replay.statusCode, 204)
  t.equal(replay.body, '')
  t.equal(replay.headers['idempotent-replayed'], 'true')
  const read = await get(app, 'contact-1')
  t.equal(read.statusCode, 200, 'the replay did not delete the new state')
  t.equal(JSON.parse(read.body).stage, 'Q3')
})

t.test('the same key with a different request is a 422 and changes nothing', async (t) => {
  const ctx = await build(t)
  const { app } = ctx
  await put(app, 'contact-1', botState(), key('SM-5'))
  const before = await get(app, 'contact-1')
  const keysBefore = await storedKeys(ctx)

  const refusals = [
    ['PUT of another body', await put(app, 'contact-1', botState({ stage: 'Q4' }), key('SM-5'))],
    ['PATCH', await patch(app, 'contact-1', { stage: 'Q4' }, key('SM-5'))],
    ['DELETE', await del(app, 'contact-1', key('SM-5'))]
  ] as const
  for (const [name, res] of refusals) {
    t.equal(res.statusCode, 422, name)
    t.match(res.json(), { statusCode: 422, error: 'Unprocessable Entity', code: 'IDEMPOTENCY_KEY_REUSED', message: /SM-5/ }, name)
  }
  const after = await get(app, 'contact-1')
  t.equal(after.body, before.body, 'the state is unchanged')
  t.equal(after.headers.etag, before.headers.etag)
  t.same(await storedKeys(ctx), keysBefore)

  await patch(app, 'contact-1', { stage: 'Q3' }, key('SM-6'))
  const patchOther = await patch(app, 'contact-1', { stage: 'Q4' }, key('SM-6'))
  t.equal(patchOther.statusCode, 422, 'PATCH with another patch under a used key')
  t.equal(patchOther.json().code, 'IDEMPOTENCY_KEY_REUSED')
  t.equal(JSON.parse((await get(app, 'contact-1')).body).stage, 'Q3')
})

t.test('a key is scoped to its contact', async (t) => {
  const { app } = await build(t)
  const a = await put(app, 'contact-a', botState({ contact_id: 'contact-a' }), key('SM-7'))
  const b = await put(app, 'contact-b', botState({ contact_id: 'contact-b', stage: 'Q4' }), key('SM-7'))
  t.equal(a.statusCode, 201)
  t.equal(b.statusCode, 201, 'the same key on another contact writes, even with another body')
  t.equal(b.headers['idempotent-replayed'], undefined)
  t.equal(JSON.parse((await get(app, 'contact-b')).body).stage, 'Q4')
  t.equal(JSON.parse((await get(app, 'contact-a')).body).stage, 'Q2')

  const deleted = await del(app, 'contact-a', key('SM-8'))
  t.equal(deleted.statusCode, 204)
  const other = await del(app, 'contact-b', key('SM-8'))
  t.equal(other.statusCode, 204)
  t.equal(other.headers['idempotent-replayed'], undefined, 'not a replay of the other contact\'s DELETE')
  t.equal((await get(app, 'contact-b')).statusCode, 404, 'contact-b was deleted too')
})

t.test('a refused request (4xx) is not remembered: a corrected retry with the same key goes through', async (t) => {
  const ctx = await build(t)
  const { app } = ctx
  const first = await put(app, 'contact-1', botState())
  const staleTag = first.headers.etag as string
  const current = (await put(app, 'contact-1', botState({ stage: 'Q3' }))).headers.etag as string

  const stale = await put(app, 'contact-1', botState({ stage: 'Q4' }), { ...key('SM-9'), 'if-match': staleTag })
  t.equal(stale.statusCode, 412)
  t.equal(await ctx.redis.exists(ctx.keys.of('contact-1').idempotency('contact-1', 'SM-9')), 0, 'no record of the 412')
  const retried = await put(app, 'contact-1', botState({ stage: 'Q4' }), { ...key('SM-9'), 'if-match': current })
  t.equal(retried.statusCode, 200, 'the retry with a current ETag writes')
  t.equal(retried.headers['idempotent-replayed'], undefined)
  t.equal(JSON.parse((await get(app, 'contact-1')).body).stage, 'Q4')

  const bad = await put(app, 'contact-1', botState({ stage: 'Q9' }), key('SM-10'))
  t.equal(bad.statusCode, 400)
  const fixed = await put(app, 'contact-1', botState({ stage: 'QUALIFIED' }), key('SM-10'))
  t.equal(fixed.statusCode, 200, 'a corrected document under the key of a 400 writes')
  t.equal(fixed.headers['idempotent-replayed'], undefined)
  t.equal(JSON.parse((await get(app, 'contact-1')).body).stage, 'QUALIFIED')

  const badPatch = await patch(app, 'contact-1', { current_question: '3' }, key('SM-11'))
  t.equal(badPatch.statusCode, 400)
  t.equal(badPatch.json().code, 'INVALID_DOCUMENT')
  const fixedPatch = await patch(app, 'contact-1', { current_question: 3 }, key('SM-11'))
  t.equal(fixedPatch.statusCode, 200)
  t.equal(fixedPatch.headers['idempotent-replayed'], undefined)
  t.equal(JSON.parse((await get(app, 'contact-1')).body).current_question, 3)

  const missing = await patch(app, 'contact-2', { stage: 'Q3' }, key('SM-12'))
  t.equal(missing.statusCode, 404)
  await put(app, 'contact-2', botState({ contact_id: 'contact-2' }))
  const afterCreate = await patch(app, 'contact-2', { stage: 'Q3' }, key('SM-12'))
  t.equal(afterCreate.statusCode, 200, 'a 404 is not remembered either')
  t.equal(afterCreate.headers['idempotent-replayed'], undefined)

  const staleDelete = await del(app, 'contact-1', { ...key('SM-13'), 'if-match': staleTag })
  t.equal(staleDelete.statusCode, 412)
  const del2 = await del(app, 'contact-1', key('SM-13'))
  t.equal(del2.statusCode, 204)
  t.equal(del2.headers['idempotent-replayed'], undefined)
  t.equal((await get(app, 'contact-1')).statusCode, 404)
})

t.test('a malformed Idempotency-Key is a 400 and writes nothing', async (t) => {
  const ctx = await build(t)
  const bad = ['', 'x'.repeat(256), 'two words', 'caf\u00e9', 'tab\there']
  for (const value of bad) {
    const label = value.length > 20 ? `${value.length} characters` : JSON.stringify(value)
    for (const res of [
      await put(ctx.app, 'contact-1', botState(), key(value)),
      await patch(ctx.app, 'contact-1', { stage: 'Q3' }, key(value)),
      await del(ctx.app, 'contact-1', key(value))
    ]) {
      t.equal(res.statusCode, 400, `${res.raw.req.method} ${label}`)
      t.match(res.json(), { code: 'INVALID_HEADER', message: /Idempotency-Key/ }, `${res.raw.req.method} ${label}`)
    }
  }
  t.same(await storedKeys(ctx), [], 'nothing written')

  const longest = await put(ctx.app, 'contact-1', botState(), key('k'.repeat(255)))
  t.equal(longest.statusCode, 201, '255 visible ASCII characters are fine')
  const symbols = await put(ctx.app, 'contact-1', botState(), key('SM:a/b+c=~!'))
  t.equal(symbols.statusCode, 200, 'punctuation is fine')
})

t.test('the record lives in Redis under the contact, with a TTL of IDEMPOTENCY_TTL_SECONDS', async (t) => {
  const ctx = await build(t, { IDEMPOTENCY_TTL_SECONDS: '120' })
  await put(ctx.app, 'contact-1', botState(), key('SM-20'))
  await patch(ctx.app, 'contact-1', { stage: 'Q3' }, key('SM-21'))
  await del(ctx.app, 'contact-1', key('SM-22'))
  for (const name of ['SM-20', 'SM-21', 'SM-22']) {
    const record = ctx.keys.of('contact-1').idempotency('contact-1', name)
    t.equal(await ctx.redis.exists(record), 1, `${name} is stored at ${record}`)
    const pttl = await ctx.redis.pttl(record)
    t.ok(pttl > 110_000 && pttl <= 120_000, `${name} expires in IDEMPOTENCY_TTL_SECONDS (${pttl} ms)`)
  }
})

t.test('after IDEMPOTENCY_TTL_SECONDS the same key writes again', async (t) => {
  const ctx = await build(t, { IDEMPOTENCY_TTL_SECONDS: '1' })
  const first = await put(ctx.app, 'contact-1', botState(), key('SM-30'))
  t.equal(first.statusCode, 201)
  await put(ctx.app, 'contact-1', botState({ stage: 'Q3' }))
  const record = ctx.keys.of('contact-1').idempotency('contact-1', 'SM-30')
  const pttl = await ctx.redis.pttl(record)
  t.ok(pttl > 0 && pttl <= 1000, `the record expires within a second (${pttl} ms)`)

  await sleep(1300)
  t.equal(await ctx.redis.exists(record), 0, 'the record has expired')
  const again = await put(ctx.app, 'contact-1', botState(), key('SM-30'))
  t.equal(again.statusCode, 200, 'a write, not a replay of the 201')
  t.equal(again.headers['idempotent-replayed'], undefined)
  t.equal(JSON.parse((await get(ctx.app, 'contact-1')).body).stage, 'Q2', 'the document was written again')
})

t.test('ten concurrent identical PUTs with one key write once', async (t) => {
  const { app } = await build(t)
  const body = botState({ stage: 'Q3' })
  const answers = await Promise.all(Array.from({ length: 10 }, () => put(app, 'contact-1', body, key('SM-40'))))
  t.strictSame(answers.map((res) => res.statusCode), Array(10).fill(201), 'all say 201: the first created, the rest replay it')
  t.equal(new Set(answers.map((res) => res.body)).size, 1, 'all have the same body')
  t.equal(new Set(answers.map((res) => res.headers.etag)).size, 1, 'all have the same ETag')
  t.equal(answers.filter((res) => res.headers['idempotent-replayed'] === undefined).length, 1, 'exactly one was not a replay')
  t.equal(answers.filter((res) => res.headers['idempotent-replayed'] === 'true').length, 9)
  t.equal(await metricValue(app, 'seller_state_idempotent_replays_total'), 9)
  t.equal((await get(app, 'contact-1')).headers.etag, answers[0]?.headers.etag)
})

t.test('ten concurrent identical PATCHes with one key apply once', async (t) => {
  const { app } = await build(t)
  await put(app, 'contact-1', botState())
  const answers = await Promise.all(Array.from({ length: 10 }, () => patch(app, 'contact-1', { stage: 'Q3' }, key('SM-41'))))
  t.strictSame(answers.map((res) => res.statusCode), Array(10).fill(200))
  t.equal(new Set(answers.map((res) => res.body)).size, 1, 'all have the same body')
  t.equal(new Set(answers.map((res) => res.headers.etag)).size, 1, 'all have the same ETag')
  t.equal(answers.filter((res) => res.headers['idempotent-replayed'] === undefined).length, 1, 'exactly one was not a replay')
  t.equal(JSON.parse((await get(app, 'contact-1')).body).stage, 'Q3')
})

t.test('seller_state_idempotent_replays_total counts the replays', async (t) => {
  const { app } = await build(t)
  t.equal(await metricValue(app, 'seller_state_idempotent_replays_total'), 0, 'none yet')
  await put(app, 'contact-1', botState(), key('SM-50'))
  await put(app, 'contact-1', botState(), key('SM-50'))
  await put(app, 'contact-1', botState(), key('SM-50'))
  await patch(app, 'contact-1', { stage: 'Q3' }, key('SM-51'))
  await patch(app, 'contact-1', { stage: 'Q3' }, key('SM-51'))
  await put(app, 'contact-1', botState({ stage: 'Q4' }), key('SM-50')) // 422, not a replay
  await del(app, 'contact-1', key('SM-52'))
  await del(app, 'contact-1', key('SM-52'))
  t.equal(await metricValue(app, 'seller_state_idempotent_replays_total'), 4)
})
