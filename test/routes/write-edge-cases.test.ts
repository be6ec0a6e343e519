/**
 * Corners of the write path found in review: entity tags that look like the script's own
 * markers, values under a state key that are not ours, patches and contact ids that grow a
 * document past what a PUT accepts, and a PATCH retried on two replicas at once.
 */
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { botState, build, deleteState, getState, patchState, putState, storedKeys } from '../helper.js'

t.test('If-Match: "" and "*" are tags like any other, on PUT, PATCH and DELETE', async (t) => {
  const ctx = await build(t)
  await putState(ctx.app, 'contact-1', botState())
  for (const tag of ['""', '"*"', '"", "stale"']) {
    t.equal((await putState(ctx.app, 'contact-1', botState({ stage: 'Q4' }), { 'if-match': tag })).statusCode, 412, `PUT If-Match: ${tag}`)
    t.equal((await patchState(ctx.app, 'contact-1', { stage: 'Q4' }, { 'if-match': tag })).statusCode, 412, `PATCH If-Match: ${tag}`)
    t.equal((await deleteState(ctx.app, 'contact-1', { 'if-match': tag })).statusCode, 412, `DELETE If-Match: ${tag}`)
  }
  t.equal(JSON.parse((await getState(ctx.app, 'contact-1')).body).stage, 'Q2', 'nothing changed')
  t.equal((await putState(ctx.app, 'contact-2', botState({ contact_id: 'contact-2' }), { 'if-match': '""' })).statusCode, 412,
    'an If-Match on a contact without state fails, whatever the tag')

  const strict = await build(t, { REQUIRE_PRECONDITION: 'true' })
  await putState(strict.app, 'contact-1', botState())
  const res = await putState(strict.app, 'contact-1', botState({ stage: 'Q4' }), { 'if-match': '""' })
  t.equal(res.statusCode, 412, 'with REQUIRE_PRECONDITION an empty tag is a precondition that fails, not a missing one')
})

t.test('a hash that is not ours under a state key is unreadable, and a PUT replaces it whole', async (t) => {
  const ctx = await build(t)
  const key = ctx.keys.of('contact-1').state('contact-1')
  await ctx.redis.hset(key, 'note', 'hand edit')
  const read = await getState(ctx.app, 'contact-1')
  t.equal(read.statusCode, 500)
  t.equal(read.json().code, 'STATE_UNREADABLE')
  t.equal((await patchState(ctx.app, 'contact-1', { stage: 'Q3' })).statusCode, 500, 'PATCH cannot merge into it either')
  t.equal((await putState(ctx.app, 'contact-1', botState(), { 'if-none-match': '*' })).statusCode, 412, 'it exists')
  t.equal((await putState(ctx.app, 'contact-1', botState())).statusCode, 200, 'a plain PUT repairs it')
  t.same((await ctx.redis.hkeys(key)).sort(), ['at', 'doc', 'etag', 'exp', 'v'], 'nothing of the old value is left')
  t.equal((await getState(ctx.app, 'contact-1')).statusCode, 200)
})

t.test('the sweep leaves alone keys under the state prefix that are not ours', async (t) => {
  const ctx = await build(t, { SWEEP_INTERVAL_SECONDS: '0' })
  // Under the state prefix of every bucket: the sweep scans each.
  const buckets = Array.from({ length: ctx.keys.buckets }, (_, i) => ctx.keys.bucket(i))
  for (const { statePrefix } of buckets) {
    await ctx.redis.hset(`${statePrefix}foreign:thing`, 'doc', '{}', 'etag', 'x', 'at', '1', 'v', '2', 'exp', '1')
    await ctx.redis.hset(`${statePrefix}has space`, 'note', 'x')
    await ctx.redis.hset(`${statePrefix}plain-hash`, 'note', 'x')
    await ctx.redis.pexpire(`${statePrefix}foreign:thing`, 60_000)
  }
  t.same(await ctx.app.indexMaintenance.sweep(), { expired: 0, ghosts: 0, orphans: 0, prototypeStates: 0 })
  for (const bucket of buckets) {
    t.same(await ctx.redis.zrange(bucket.activeIndex, '0', '-1'), [])
    t.same(await ctx.redis.hgetall(bucket.indexMeta), {})
  }
})

t.test('a patch that would grow the document past the body limit is a 413, and nothing changes', async (t) => {
  const ctx = await build(t, { BODY_LIMIT_BYTES: '4096' })
  await putState(ctx.app, 'contact-1', botState())
  const before = await getState(ctx.app, 'contact-1')
  t.equal((await patchState(ctx.app, 'contact-1', { extracted_data: { a: 'x'.repeat(1500) } })).statusCode, 200)
  t.equal((await patchState(ctx.app, 'contact-1', { extracted_data: { b: 'y'.repeat(1500) } })).statusCode, 200)
  const grown = await patchState(ctx.app, 'contact-1', { extracted_data: { c: 'z'.repeat(1500) } })
  t.equal(grown.statusCode, 413)
  t.match(grown.json(), { code: 'DOCUMENT_TOO_LARGE', message: /4096 bytes/ })
  const after = await getState(ctx.app, 'contact-1')
  t.not(after.body, before.body)
  t.ok(Buffer.byteLength(after.body) <= 4096, 'the stored document can still be PUT back as it is')
  t.equal((await putState(ctx.app, 'contact-1', after.body)).statusCode, 200)
})

t.test('a PUT whose contact_id, added from the path, would take it past the body limit is a 413, and nothing is written', async (t) => {
  const ctx = await build(t, { BODY_LIMIT_BYTES: '4096' })
  const { contact_id: _omitted, ...withoutId } = botState({ motivation: '' })
  const body = JSON.stringify({ ...withoutId, motivation: 'x'.repeat(4096 - JSON.stringify(withoutId).length) })
  t.equal(Buffer.byteLength(body), 4096, 'the body itself is within the limit')
  const res = await putState(ctx.app, 'contact-1', body)
  t.equal(res.statusCode, 413, 'the bot could not PUT back what a GET would return')
  t.match(res.json(), { code: 'DOCUMENT_TOO_LARGE', message: /4096 bytes/ })
  t.equal((await getState(ctx.app, 'contact-1')).statusCode, 404, 'nothing written')
  t.equal((await putState(ctx.app, 'contact-1', body.replace('{', '{"contact_id":"contact-1",').replace('x'.repeat(26), ''))).statusCode, 201,
    'the same document with its contact_id, within the limit, is stored')
})

t.test('the same PATCH sent to two replicas at once is applied once; both get its answer', async (t) => {
  const { app, config } = await build(t)
  const other = await buildApp(config)
  t.teardown(() => other.close())
  await other.ready()
  let replays = 0
  for (let round = 0; round < 15; round++) {
    const id = `contact-${round}`
    const etag = (await putState(app, id, botState({ contact_id: id, extracted_data: { n: 0 } }))).headers.etag as string
    const headers = { 'if-match': etag, 'idempotency-key': `SM${round}` }
    const answers = await Promise.all([app, other].map(async (replica) => await patchState(replica, id, { extracted_data: { n: 1 } }, headers)))
    t.same(answers.map((res) => res.statusCode), [200, 200], `round ${round}: both answered 200`)
    t.equal(answers[0]?.body, answers[1]?.body)
    replays += answers.filter((res) => res.headers['idempotent-replayed'] === 'true').length
  }
  t.equal(replays, 15, 'in every round one answer was the replay of the other')
})

t.test('escaped and repeated member names cannot dodge the document rules (issue 11)', async (t) => {
  const ctx = await build(t)
  const text = JSON.stringify(botState({ contact_id: 'dup1' }))
  const escaped = text.replace('"current_question":2', '"current\\u005fquestion":2.0')
  let res = await putState(ctx.app, 'dup1', escaped)
  t.equal(res.statusCode, 400, 'an escaped integer member written 2.0')
  t.match(res.json(), { code: 'INVALID_DOCUMENT', message: /body\/current_question must be written as an integer/ })

  res = await putState(ctx.app, 'dup1', `{"contact_id":"someone_else",${text.slice(1)}`)
  t.equal(res.statusCode, 400, 'contact_id twice')
  t.match(res.json(), { code: 'INVALID_DOCUMENT', message: 'body/contact_id appears more than once' })
  res = await putState(ctx.app, 'dup1', text.replace('"location_id":"loc-1"', '"location_id":"loc-1","location\\u005fid":"loc-2"'))
  t.match(res.json(), { statusCode: 400, message: 'body/location_id appears more than once' }, 'location_id twice, once escaped')
  res = await putState(ctx.app, 'dup1', text.replace('"extracted_data":{"roof":"old"}', '"extracted_data":{"roof":"old","roof":"new"}'))
  t.match(res.json(), { statusCode: 400, message: 'body/extracted_data/roof appears more than once' }, 'nested')
  t.same(await storedKeys(ctx), [], 'nothing was stored')

  t.equal((await putState(ctx.app, 'dup1', text)).statusCode, 201)
  res = await patchState(ctx.app, 'dup1', '{"stage":"Q3","stage":"Q4"}')
  t.match(res.json(), { statusCode: 400, message: 'body/stage appears more than once' }, 'a patch repeating a member')
  res = await patchState(ctx.app, 'dup1', '{"questions\\u005fanswered": 3.0}')
  t.match(res.json(), { statusCode: 400, message: /document\/questions_answered must be written as an integer/ }, 'a patch with an escaped name')
})
