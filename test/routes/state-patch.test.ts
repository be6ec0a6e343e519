/**
 * PATCH /seller/state/:contactId with a JSON Merge Patch, against a real Redis: what changes,
 * what stays byte for byte, TTL and index, conditional requests, and every refusal (with nothing
 * changed).
 */
import t from 'tap'
import { botState, build, putState as put, patchState as patch, getState as get, storedKeys } from '../helper.js'

const MERGE_PATCH = 'application/merge-patch+json'

// As Python's json.dumps writes it: unknown fields, microsecond datetimes, numbers JavaScript
// cannot hold exactly and spellings JSON.stringify would change.
const BOT_TEXT = '{"contact_id": "c-1", "location_id": "loc-1", "current_question": 2, "questions_answered": 1, ' +
  '"is_qualified": false, "stage": "Q2", "condition": "needs_minor_repairs", "price_expectation": 250000, ' +
  '"motivation": null, "urgency": "high", "offer_accepted": null, "timeline_acceptable": null, ' +
  '"scheduling_offered": false, "appointment_booked": false, "appointment_id": null, ' +
  '"conversation_history": [{"role": "user", "content": "It needs a new roof", "timestamp": "2026-01-23T10:30:00.123456"}], ' +
  '"extracted_data": {"roof": "old", "big": 12345678901234567890, "float": 1e+16, "ratio": 2.50, ' +
  '"seen_at": "2026-01-23T10:30:00.123456", "nested": {"keep": true, "drop": "me"}}, ' +
  '"last_interaction": "2026-01-23T10:30:00.123456", "conversation_started": "2026-01-23T10:29:00+00:00", ' +
  '"seller_name": "Ann Smith", "property_address": "1 Main St", "lead_source": "zillow", ' +
  '"custom": {"score": 0.1, "list": [1, 2]}}'

t.test('merge-patch+json and application/json are accepted; other media types are a 415', async (t) => {
  const { app } = await build(t)
  await put(app, 'contact-1', botState())

  const mergePatch = await patch(app, 'contact-1', { stage: 'Q3' })
  t.equal(mergePatch.statusCode, 200, MERGE_PATCH)
  t.equal(mergePatch.json().stage, 'Q3')

  const withCharset = await patch(app, 'contact-1', { stage: 'Q4' }, { 'content-type': `${MERGE_PATCH}; charset=utf-8` })
  t.equal(withCharset.statusCode, 200, 'a charset parameter is fine')
  t.equal(withCharset.json().stage, 'Q4')

  const json = await patch(app, 'contact-1', { current_question: 3 }, { 'content-type': 'application/json' })
  t.equal(json.statusCode, 200, 'application/json')
  t.equal(json.json().current_question, 3)

  const text = await patch(app, 'contact-1', { stage: 'Q1' }, { 'content-type': 'text/plain' })
  t.equal(text.statusCode, 415, 'text/plain')
  t.match(text.json(), { statusCode: 415, error: 'Unsupported Media Type' })

  const putMergePatch = await put(app, 'contact-1', botState({ stage: 'Q1' }), { 'content-type': MERGE_PATCH })
  t.equal(putMergePatch.statusCode, 415, 'PUT does not take a merge patch')
  t.match(putMergePatch.json(), { statusCode: 415, error: 'Unsupported Media Type' })

  const read = JSON.parse((await get(app, 'contact-1')).body)
  t.equal(read.stage, 'Q4', 'the refused requests changed nothing')
  t.equal(read.current_question, 3)
})

t.test('a patch of one field leaves every other field exactly as it was', async (t) => {
  const { app } = await build(t)
  t.equal((await put(app, 'c-1', BOT_TEXT)).statusCode, 201)
  const before = await get(app, 'c-1')

  const res = await patch(app, 'c-1', { current_question: 3 })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^application\/json/)
  t.strictSame(res.json(), { ...JSON.parse(BOT_TEXT), current_question: 3 }, 'the response is the whole new document')

  const after = await get(app, 'c-1')
  t.equal(after.statusCode, 200)
  t.equal(after.body, res.body, 'GET returns what PATCH answered')
  t.strictSame(JSON.parse(after.body), { ...JSON.parse(before.body), current_question: 3 })
  for (const spelling of ['12345678901234567890', '1e+16', '2.50', '0.1', '"2026-01-23T10:30:00.123456"', '"2026-01-23T10:29:00+00:00"']) {
    t.ok(after.body.includes(spelling), `the stored text still has ${spelling}`)
  }
  t.strictSame(Object.keys(JSON.parse(after.body)), Object.keys(JSON.parse(BOT_TEXT)), 'fields keep their order')
})

t.test('null removes an optional field and a nested member; nested objects merge', async (t) => {
  const { app } = await build(t)
  await put(app, 'c-1', BOT_TEXT)

  const res = await patch(app, 'c-1', { seller_name: null, extracted_data: { roof: null, nested: { drop: null, added: 'x' } } })
  t.equal(res.statusCode, 200)
  const doc = JSON.parse((await get(app, 'c-1')).body)
  t.notOk('seller_name' in doc, 'seller_name removed')
  t.equal(doc.property_address, '1 Main St')
  t.notOk('roof' in doc.extracted_data, 'extracted_data.roof removed')
  t.strictSame(doc.extracted_data.nested, { keep: true, added: 'x' })
  t.equal(doc.extracted_data.seen_at, '2026-01-23T10:30:00.123456')
  const { extracted_data: _e, seller_name: _s, ...rest } = JSON.parse(BOT_TEXT)
  const { extracted_data: _e2, ...restAfter } = doc
  t.strictSame(restAfter, rest, 'every other field unchanged')
})

t.test('arrays are replaced, not merged', async (t) => {
  const { app } = await build(t)
  await put(app, 'contact-1', botState({
    conversation_history: [{ role: 'user', content: 'a' }, { role: 'bot', content: 'b' }, { role: 'user', content: 'c' }]
  }))
  const history = [{ role: 'bot', content: 'only this one' }]
  const res = await patch(app, 'contact-1', { conversation_history: history })
  t.equal(res.statusCode, 200)
  t.strictSame(JSON.parse((await get(app, 'contact-1')).body).conversation_history, history)

  const emptied = await patch(app, 'contact-1', { conversation_history: [] })
  t.equal(emptied.statusCode, 200)
  t.strictSame(JSON.parse((await get(app, 'contact-1')).body).conversation_history, [], 'an empty array stays an array')
})

t.test('PATCH answers 200 with the new document and a new ETag, the one GET gives', async (t) => {
  const { app } = await build(t)
  const created = await put(app, 'contact-1', botState())
  const res = await patch(app, 'contact-1', { stage: 'Q3', motivation: 'relocating' })
  t.equal(res.statusCode, 200)
  t.strictSame(res.json(), botState({ stage: 'Q3', motivation: 'relocating' }))
  t.match(res.headers.etag, /^"[\w-]+"$/)
  t.not(res.headers.etag, created.headers.etag, 'a changed document has a new ETag')
  const read = await get(app, 'contact-1')
  t.equal(read.headers.etag, res.headers.etag)
  t.equal(read.body, res.body)

  const same = await patch(app, 'contact-1', { stage: 'Q3' })
  t.equal(same.statusCode, 200, 'a patch that changes nothing is fine')
  t.equal(same.headers.etag, res.headers.etag, 'and keeps the ETag')
})

t.test('PATCH resets the TTL of the state and moves its index score forward', async (t) => {
  const ctx = await build(t, { STATE_TTL_SECONDS: '100' })
  const key = ctx.keys.of('contact-1').state('contact-1')
  const index = ctx.keys.of('contact-1').activeIndex
  await put(ctx.app, 'contact-1', botState())
  // As if the last write were 95 s old.
  await ctx.redis.pexpire(key, 5000)
  await ctx.redis.zadd(index, Date.now() + 5000, 'contact-1')

  const res = await patch(ctx.app, 'contact-1', { stage: 'Q3' })
  t.equal(res.statusCode, 200)
  const pttl = await ctx.redis.pttl(key)
  t.ok(pttl > 90_000 && pttl <= 100_000, `TTL reset to STATE_TTL_SECONDS (${pttl} ms)`)
  const score = Number(await ctx.redis.zscore(index, 'contact-1'))
  t.ok(score > Date.now() + 90_000, 'the index entry expires with the new TTL')
  t.ok(Math.abs(score - (Date.now() + pttl)) < 2000, 'the index score is the state\'s expiry time')
})

t.test('PATCH of a contact without state is a 404 and creates nothing', async (t) => {
  const ctx = await build(t)
  const res = await patch(ctx.app, 'nobody', botState({ contact_id: 'nobody' }))
  t.equal(res.statusCode, 404)
  t.same(res.json(), { statusCode: 404, error: 'Not Found', code: 'STATE_NOT_FOUND', message: 'No state stored for contact nobody; PUT a state to create it' })
  t.equal((await get(ctx.app, 'nobody')).statusCode, 404)
  t.same(await storedKeys(ctx), [], 'nothing was written')
})

t.test('If-Match: current → 200, stale → 412 with nothing changed, on an absent contact → 412', async (t) => {
  const ctx = await build(t)
  const first = await put(ctx.app, 'contact-1', botState())
  const etag = first.headers.etag as string

  const current = await patch(ctx.app, 'contact-1', { stage: 'Q3' }, { 'if-match': etag })
  t.equal(current.statusCode, 200)
  t.equal(current.json().stage, 'Q3')
  const afterCurrent = await get(ctx.app, 'contact-1')

  const stale = await patch(ctx.app, 'contact-1', { stage: 'Q4' }, { 'if-match': etag })
  t.equal(stale.statusCode, 412)
  t.equal(stale.json().code, 'PRECONDITION_FAILED')
  t.match(stale.json().message, /changed/)
  const afterStale = await get(ctx.app, 'contact-1')
  t.equal(afterStale.body, afterCurrent.body, 'the stale patch changed nothing')
  t.equal(afterStale.headers.etag, afterCurrent.headers.etag)

  const star = await patch(ctx.app, 'contact-1', { stage: 'Q4' }, { 'if-match': '*' })
  t.equal(star.statusCode, 200, 'If-Match: * accepts any existing state')

  const absent = await patch(ctx.app, 'contact-2', { stage: 'Q4' }, { 'if-match': etag })
  t.equal(absent.statusCode, 412, 'If-Match on a contact without state')
  t.equal(absent.json().code, 'PRECONDITION_FAILED')
  const absentStar = await patch(ctx.app, 'contact-2', { stage: 'Q4' }, { 'if-match': '*' })
  t.equal(absentStar.statusCode, 412, 'If-Match: * on a contact without state')
  t.equal(await ctx.redis.exists(ctx.keys.of('contact-2').state('contact-2')), 0, 'nothing created')
  t.equal(await ctx.redis.zscore(ctx.keys.of('contact-2').activeIndex, 'contact-2'), null, 'nothing indexed')
})

t.test('a patch whose result is invalid is a 400 naming the field, and nothing changes', async (t) => {
  const ctx = await build(t)
  await put(ctx.app, 'c-1', BOT_TEXT)
  const before = await get(ctx.app, 'c-1')
  const keysBefore = await storedKeys(ctx)
  const cases: Array<[string, unknown, RegExp]> = [
    ['an unknown stage', { stage: 'Q9' }, /stage/],
    ['a required field removed', { location_id: null }, /location_id/],
    ['current_question as a string', { current_question: '2' }, /current_question/],
    ['a day February does not have', { last_interaction: '2026-02-30T10:00:00' }, /last_interaction/],
    ['conversation_started removed', { conversation_started: null }, /conversation_started/],
    ['extracted_data replaced by an array', { extracted_data: [1] }, /extracted_data/],
    ['a negative price', { price_expectation: -5 }, /price_expectation/],
    ['a bad temperature', { temperature: 'lukewarm' }, /temperature/]
  ]
  for (const [name, body, field] of cases) {
    const res = await patch(ctx.app, 'c-1', body)
    t.equal(res.statusCode, 400, name)
    t.match(res.json(), { statusCode: 400, error: 'Bad Request', code: 'INVALID_DOCUMENT', message: field }, name)
  }
  const after = await get(ctx.app, 'c-1')
  t.equal(after.body, before.body, 'the stored document is unchanged')
  t.equal(after.headers.etag, before.headers.etag, 'and so is its ETag')
  t.same(await storedKeys(ctx), keysBefore)
})

t.test('a patch that is not an object replaces the document, which is then invalid: 400', async (t) => {
  const ctx = await build(t)
  await put(ctx.app, 'contact-1', botState())
  const before = await get(ctx.app, 'contact-1')
  for (const body of ['null', '[1]', '"text"', '42']) {
    const res = await patch(ctx.app, 'contact-1', body)
    t.equal(res.statusCode, 400, body)
    t.equal(res.json().code, 'INVALID_DOCUMENT', body)
  }
  t.equal((await get(ctx.app, 'contact-1')).body, before.body)
})

t.test('contact_id: another value is a 400; null leaves the path\'s id in the document', async (t) => {
  const ctx = await build(t)
  await put(ctx.app, 'contact-1', botState())
  const before = await get(ctx.app, 'contact-1')

  const other = await patch(ctx.app, 'contact-1', { contact_id: 'contact-2' })
  t.equal(other.statusCode, 400)
  t.match(other.json().message, /contact_id/)
  t.equal((await get(ctx.app, 'contact-1')).body, before.body, 'nothing changed')
  t.equal(await ctx.redis.exists(ctx.keys.of('contact-2').state('contact-2')), 0, 'no other contact written')

  const removed = await patch(ctx.app, 'contact-1', { contact_id: null, stage: 'Q3' })
  t.equal(removed.statusCode, 200)
  t.equal(removed.json().contact_id, 'contact-1')
  const doc = JSON.parse((await get(ctx.app, 'contact-1')).body)
  t.equal(doc.contact_id, 'contact-1', 'the stored document still carries the path\'s contact_id')
  t.equal(doc.stage, 'Q3')
})

t.test('a body that is not JSON is a 400, one over BODY_LIMIT_BYTES a 413; nothing changes', async (t) => {
  const ctx = await build(t, { BODY_LIMIT_BYTES: '4096' })
  await put(ctx.app, 'contact-1', botState())
  const before = await get(ctx.app, 'contact-1')

  for (const contentType of [MERGE_PATCH, 'application/json']) {
    const invalid = await patch(ctx.app, 'contact-1', '{"stage": ', { 'content-type': contentType })
    t.equal(invalid.statusCode, 400, contentType)
    t.equal(invalid.json().code, 'INVALID_JSON', contentType)
  }
  const proto = await patch(ctx.app, 'contact-1', '{"__proto__": {"admin": true}}')
  t.equal(proto.statusCode, 400, 'a prototype-poisoning key')

  const large = await patch(ctx.app, 'contact-1', { extracted_data: { blob: 'x'.repeat(5000) } })
  t.equal(large.statusCode, 413)
  t.match(large.json(), { statusCode: 413, error: 'Payload Too Large' })

  const after = await get(ctx.app, 'contact-1')
  t.equal(after.body, before.body)
  t.equal(after.headers.etag, before.headers.etag)
})

t.test('an empty PATCH body is a 400, not a 500', async (t) => {
  const ctx = await build(t)
  await put(ctx.app, 'contact-1', botState())
  const before = await get(ctx.app, 'contact-1')
  for (const headers of [{ 'content-type': MERGE_PATCH }, { 'content-type': 'application/json' }]) {
    const res = await patch(ctx.app, 'contact-1', '', headers)
    t.equal(res.statusCode, 400, `empty body with ${headers['content-type']}`)
    t.equal(res.json().code, 'INVALID_JSON')
  }
  const none = await ctx.app.inject({ method: 'PATCH', url: '/seller/state/contact-1' })
  t.equal(none.statusCode, 400, 'no body and no content type')
  t.equal((await get(ctx.app, 'contact-1')).body, before.body, 'nothing changed')
})

t.test('a repeated member name is a 400; one stored by an earlier version keeps its last value, never a 500', async (t) => {
  const ctx = await build(t)
  await put(ctx.app, 'contact-1', botState())

  const res = await patch(ctx.app, 'contact-1', '{"stage": "Q3", "stage": "Q4"}')
  t.equal(res.statusCode, 400, 'a patch with "stage" twice')
  t.match(res.json(), { code: 'INVALID_DOCUMENT', message: 'body/stage appears more than once' })
  t.equal(JSON.parse((await get(ctx.app, 'contact-1')).body).stage, 'Q2', 'nothing changed')

  // Earlier versions stored such documents: the merge reads them as JSON.parse does.
  await put(ctx.app, 'contact-2', botState({ contact_id: 'contact-2' }))
  const stored = JSON.stringify(botState({ contact_id: 'contact-2' })).replace('{', '{"lead_source": "a", "lead_source": "b", ')
  await ctx.redis.hset(ctx.keys.of('contact-2').state('contact-2'), 'doc', stored)
  const patched = await patch(ctx.app, 'contact-2', { stage: 'Q3' })
  t.equal(patched.statusCode, 200, 'PATCH of that stored document')
  t.equal(JSON.parse(patched.body).lead_source, 'b', 'the last value wins')
  t.equal(patched.body.match(/lead_source/g)?.length, 1, 'and the member is written once')
})
