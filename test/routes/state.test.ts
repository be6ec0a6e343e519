/**
 * PUT, GET and DELETE /seller/state/:contactId against a real Redis: the bot's round trip,
 * conditional requests, TTL, and every refusal (with nothing written).
 */
import t from 'tap'
import { botState, build, putState as put, storedKeys } from '../helper.js'

const JSON_HEADERS = { 'content-type': 'application/json' }

t.test('the bot\'s document round-trips byte for byte, Python datetimes and unknown fields included', async (t) => {
  const ctx = await build(t)
  // As Python's json.dumps writes it: spaces after separators, \u escapes, floats, microseconds.
  const text = '{"contact_id": "c-1", "location_id": "loc-1", "current_question": 3, "questions_answered": 2, ' +
    '"is_qualified": false, "stage": "Q3", "condition": "needs_major_repairs", "price_expectation": 250000, ' +
    '"motivation": "relocating", "urgency": "high", "offer_accepted": null, "timeline_acceptable": null, ' +
    '"scheduling_offered": false, "appointment_booked": false, "appointment_id": null, ' +
    '"conversation_history": [{"role": "user", "content": "Caf\\u00e9 on the corner", "ts": "2026-01-23T10:30:00.123456+05:30"}], ' +
    '"extracted_data": {"score": 0.1, "big": 1e+16, "nested": {"a": [1, 2.50]}}, ' +
    '"last_interaction": "2026-01-23T10:30:00.123456", "conversation_started": "2026-01-23T10:30:00+00:00", ' +
    '"lead_source": "zillow", "temperature": "warm"}'

  const created = await put(ctx.app, 'c-1', text)
  t.equal(created.statusCode, 201)
  t.equal(created.body, text, 'PUT answers with the stored document')
  t.equal(created.headers.location, '/seller/state/c-1')
  t.match(created.headers['content-type'], /^application\/json/)
  t.match(created.headers.etag, /^"[\w-]+"$/)

  const read = await ctx.app.inject({ url: '/seller/state/c-1' })
  t.equal(read.statusCode, 200)
  t.equal(read.body, text, 'GET returns exactly the bytes that were sent')
  t.equal(read.headers.etag, created.headers.etag)
  t.ok(read.headers['last-modified'])

  const replaced = await put(ctx.app, 'c-1', text)
  t.equal(replaced.statusCode, 200, 'a second PUT replaces')
  t.equal(replaced.headers.etag, created.headers.etag, 'the same document keeps the same ETag')
})

t.test('contact_id is filled from the path when absent, and must match it when present', async (t) => {
  const ctx = await build(t)
  const { contact_id: _omitted, ...withoutId } = botState()
  const res = await put(ctx.app, 'abc_DEF-9', withoutId)
  t.equal(res.statusCode, 201)
  t.same(JSON.parse(res.body), { contact_id: 'abc_DEF-9', ...withoutId })
  const read = await ctx.app.inject({ url: '/seller/state/abc_DEF-9' })
  t.equal(JSON.parse(read.body).contact_id, 'abc_DEF-9')

  const before = await storedKeys(ctx)
  const mismatch = await put(ctx.app, 'abc_DEF-9', botState({ contact_id: 'someone-else' }))
  t.equal(mismatch.statusCode, 400)
  t.equal(mismatch.json().code, 'CONTACT_ID_MISMATCH')
  t.match(mismatch.json().message, /contact_id/)
  t.same(await storedKeys(ctx), before, 'nothing written')
})

t.test('a write sets a TTL of STATE_TTL_SECONDS; reads do not extend it, writes reset it', async (t) => {
  const ctx = await build(t, { STATE_TTL_SECONDS: '100' })
  await put(ctx.app, 'contact-1', botState())
  const key = ctx.keys.of('contact-1').state('contact-1')
  await ctx.redis.pexpire(key, 50_000)
  await ctx.app.inject({ url: '/seller/state/contact-1' })
  const afterRead = await ctx.redis.pttl(key)
  t.ok(afterRead <= 50_000 && afterRead > 40_000, `read leaves the TTL alone (${afterRead} ms)`)
  await put(ctx.app, 'contact-1', botState({ stage: 'Q3' }))
  const afterWrite = await ctx.redis.pttl(key)
  t.ok(afterWrite > 90_000 && afterWrite <= 100_000, `write resets the TTL (${afterWrite} ms)`)
})

t.test('the default TTL is seven days and the index entry expires with the state', async (t) => {
  const ctx = await build(t)
  await put(ctx.app, 'contact-1', botState())
  const pttl = await ctx.redis.pttl(ctx.keys.of('contact-1').state('contact-1'))
  t.ok(pttl > 604_790_000 && pttl <= 604_800_000, `state TTL ${pttl} ms`)
  const score = Number(await ctx.redis.zscore(ctx.keys.of('contact-1').activeIndex, 'contact-1'))
  t.ok(Math.abs(score - (Date.now() + pttl)) < 2000, 'the index is scored by the expiry time')
})

t.test('GET of an unknown contact is a 404 JSON error', async (t) => {
  const { app } = await build(t)
  const res = await app.inject({ url: '/seller/state/nobody' })
  t.equal(res.statusCode, 404)
  t.same(res.json(), {
    statusCode: 404, error: 'Not Found', code: 'STATE_NOT_FOUND', message: 'No state stored for contact nobody; PUT a state to create it'
  })
})

t.test('GET with If-None-Match of the current ETag is a 304', async (t) => {
  const { app } = await build(t)
  const etag = (await put(app, 'contact-1', botState())).headers.etag as string
  const notModified = await app.inject({ url: '/seller/state/contact-1', headers: { 'if-none-match': `W/${etag}` } })
  t.equal(notModified.statusCode, 304)
  t.equal(notModified.body, '')
  const modified = await app.inject({ url: '/seller/state/contact-1', headers: { 'if-none-match': '"old"' } })
  t.equal(modified.statusCode, 200)
})

t.test('If-Match makes a write conditional on the ETag read before', async (t) => {
  const ctx = await build(t)
  const first = await put(ctx.app, 'contact-1', botState())
  const etag = first.headers.etag as string

  const second = await put(ctx.app, 'contact-1', botState({ stage: 'Q3' }), { 'if-match': etag })
  t.equal(second.statusCode, 200)
  t.not(second.headers.etag, etag, 'a new document gets a new ETag')

  const stale = await put(ctx.app, 'contact-1', botState({ stage: 'Q4' }), { 'if-match': etag })
  t.equal(stale.statusCode, 412)
  t.equal(stale.json().code, 'PRECONDITION_FAILED')
  t.match(stale.json().message, /changed/)
  t.equal(JSON.parse((await ctx.app.inject({ url: '/seller/state/contact-1' })).body).stage, 'Q3', 'the stale write changed nothing')

  const listed = await put(ctx.app, 'contact-1', botState({ stage: 'Q4' }), { 'if-match': `"nope", ${second.headers.etag as string}` })
  t.equal(listed.statusCode, 200, 'any tag of a list may match')

  const weak = await put(ctx.app, 'contact-1', botState(), { 'if-match': `W/${listed.headers.etag as string}` })
  t.equal(weak.statusCode, 412, 'If-Match compares strongly: a weak tag never matches')

  const star = await put(ctx.app, 'contact-1', botState(), { 'if-match': '*' })
  t.equal(star.statusCode, 200, 'If-Match: * accepts any existing state')

  const absent = await put(ctx.app, 'contact-2', botState({ contact_id: 'contact-2' }), { 'if-match': '*' })
  t.equal(absent.statusCode, 412, 'If-Match on a contact without state fails')
  t.match(absent.json().message, /no state/)
  t.equal(await ctx.redis.exists(ctx.keys.of('contact-2').state('contact-2')), 0)
})

t.test('If-None-Match: * creates only', async (t) => {
  const { app } = await build(t)
  const created = await put(app, 'contact-1', botState(), { 'if-none-match': '*' })
  t.equal(created.statusCode, 201)
  const again = await put(app, 'contact-1', botState({ stage: 'Q4' }), { 'if-none-match': '*' })
  t.equal(again.statusCode, 412)
  t.match(again.json().message, /already has a state/)
  t.equal(JSON.parse((await app.inject({ url: '/seller/state/contact-1' })).body).stage, 'Q2')
})

t.test('malformed conditional headers are a 400 and write nothing', async (t) => {
  const ctx = await build(t)
  const malformed: Array<Record<string, string>> = [{ 'if-match': 'unquoted' }, { 'if-match': '"a" "b"' }, { 'if-none-match': '"abc"' }]
  for (const headers of malformed) {
    const res = await put(ctx.app, 'contact-1', botState(), headers)
    t.equal(res.statusCode, 400, JSON.stringify(headers))
    t.equal(res.json().code, 'INVALID_HEADER')
  }
  t.same(await storedKeys(ctx), [])
})

t.test('DELETE removes the state and its index entry, is idempotent and honours If-Match', async (t) => {
  const ctx = await build(t)
  const etag = (await put(ctx.app, 'contact-1', botState())).headers.etag as string
  await put(ctx.app, 'contact-1', botState({ stage: 'Q3' }))

  const stale = await ctx.app.inject({ method: 'DELETE', url: '/seller/state/contact-1', headers: { 'if-match': etag } })
  t.equal(stale.statusCode, 412)
  t.equal((await ctx.app.inject({ url: '/seller/state/contact-1' })).statusCode, 200, 'still there')

  const deleted = await ctx.app.inject({ method: 'DELETE', url: '/seller/state/contact-1' })
  t.equal(deleted.statusCode, 204)
  t.equal(deleted.body, '')
  t.equal((await ctx.app.inject({ url: '/seller/state/contact-1' })).statusCode, 404)
  t.equal(await ctx.redis.zscore(ctx.keys.of('contact-1').activeIndex, 'contact-1'), null, 'gone from the index')

  const again = await ctx.app.inject({ method: 'DELETE', url: '/seller/state/contact-1' })
  t.equal(again.statusCode, 204, 'deleting nothing is fine')
  const conditional = await ctx.app.inject({ method: 'DELETE', url: '/seller/state/contact-1', headers: { 'if-match': '*' } })
  t.equal(conditional.statusCode, 412, 'If-Match: * needs a state to delete')

  const absent = await ctx.app.inject({ method: 'DELETE', url: '/seller/state/contact-1', headers: { 'if-none-match': '*' } })
  t.equal(absent.statusCode, 204, 'If-None-Match: * holds for a contact without state')
  await put(ctx.app, 'contact-1', botState())
  const present = await ctx.app.inject({ method: 'DELETE', url: '/seller/state/contact-1', headers: { 'if-none-match': '*' } })
  t.equal(present.statusCode, 412, 'and fails for one with a state')
  t.equal((await ctx.app.inject({ url: '/seller/state/contact-1' })).statusCode, 200, 'which is still there')
})

t.test('ids outside 1-128 characters of A-Z a-z 0-9 _ - are a 400', async (t) => {
  const ctx = await build(t)
  for (const id of ['a.b', 'a%20b', 'a:b', '%2A', 'x'.repeat(129), 'x'.repeat(300), 'x'.repeat(10_000), 'caf%C3%A9', '..%2Fsecret']) {
    for (const method of ['GET', 'PUT', 'DELETE'] as const) {
      const res = await ctx.app.inject({ method, url: `/seller/state/${id}`, headers: JSON_HEADERS, payload: method === 'PUT' ? JSON.stringify(botState()) : undefined })
      t.equal(res.statusCode, 400, `${method} ${id.slice(0, 40)} (${id.length} characters)`)
      t.match(res.json().message, /params\/contactId/)
    }
  }
  t.equal((await ctx.app.inject({ url: `/seller/state/${'x'.repeat(128)}` })).statusCode, 404, '128 characters are fine')
  t.same(await storedKeys(ctx), [])
})

t.test('a bad document is refused whole with a 400 naming the field, and nothing is written', async (t) => {
  const ctx = await build(t)
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['location_id missing', { location_id: undefined }, /body\/location_id is required/],
    ['location_id empty (the prototype\'s fallback)', { location_id: '' }, /body\/location_id is empty\. Expected CRM sub-account/],
    ['location_id with a colon', { location_id: 'a:b' }, /body\/location_id Expected CRM sub-account/],
    ['current_question as a string', { current_question: '2' }, /body\/current_question Expected integer/],
    ['current_question out of range', { current_question: 5 }, /body\/current_question/],
    ['negative price', { price_expectation: -1 }, /body\/price_expectation/],
    ['price as a float', { price_expectation: 1.5 }, /body\/price_expectation/],
    ['stage unknown', { stage: 'Q9' }, /body\/stage Expected one of Q0, Q1/],
    ['is_qualified as a string', { is_qualified: 'false' }, /body\/is_qualified Expected boolean/],
    ['condition as a number', { condition: 3 }, /body\/condition Expected string or null/],
    ['history not a list', { conversation_history: {} }, /body\/conversation_history Expected array/],
    ['history entry not an object', { conversation_history: ['hi'] }, /body\/conversation_history\/0/],
    ['extracted_data a list', { extracted_data: [] }, /body\/extracted_data Expected object/],
    ['datetime with a space', { last_interaction: '2026-01-23 10:30:00' }, /body\/last_interaction Expected ISO-8601/],
    ['datetime with a bad month', { conversation_started: '2026-13-01T00:00:00' }, /body\/conversation_started/],
    ['a day February does not have', { last_interaction: '2026-02-30T10:00:00' }, /body\/last_interaction is not a date that exists/],
    ['temperature unknown', { temperature: 'lukewarm' }, /body\/temperature Expected HOT, WARM or COLD/],
    ['seller_name a number', { seller_name: 7 }, /body\/seller_name/]
  ]
  for (const [name, overrides, message] of cases) {
    const res = await put(ctx.app, 'contact-1', JSON.parse(JSON.stringify(botState(overrides))))
    t.equal(res.statusCode, 400, name)
    t.match(res.json(), { statusCode: 400, error: 'Bad Request', message }, name)
  }
  for (const [name, payload] of [['an array', '[1]'], ['a string', '"x"'], ['null', 'null']]) {
    const res = await put(ctx.app, 'contact-1', payload as string)
    t.equal(res.statusCode, 400, name)
  }
  t.same(await storedKeys(ctx), [], 'nothing was written')
})

t.test('a body that is not JSON, too large, or poisoned is refused with the right status', async (t) => {
  const ctx = await build(t, { BODY_LIMIT_BYTES: '4096' })
  const invalid = await put(ctx.app, 'contact-1', '{"location_id": ')
  t.equal(invalid.statusCode, 400)
  t.equal(invalid.json().code, 'INVALID_JSON')

  const empty = await put(ctx.app, 'contact-1', '')
  t.equal(empty.statusCode, 400)

  const proto = await put(ctx.app, 'contact-1', JSON.stringify(botState()).replace('{', '{"__proto__": {"admin": true},'))
  t.equal(proto.statusCode, 400)
  t.match(proto.json().message, /__proto__/)

  const badUtf8 = await ctx.app.inject({
    method: 'PUT',
    url: '/seller/state/contact-1',
    headers: JSON_HEADERS,
    payload: Buffer.concat([Buffer.from(JSON.stringify(botState()).slice(0, -1) + ',"x":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')])
  })
  t.equal(badUtf8.statusCode, 400)
  t.match(badUtf8.json().message, /UTF-8/)

  const large = await put(ctx.app, 'contact-1', botState({ extracted_data: { blob: 'x'.repeat(5000) } }))
  t.equal(large.statusCode, 413)
  t.match(large.json(), { statusCode: 413, error: 'Payload Too Large' })

  for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
    const res = await ctx.app.inject({ method: 'PUT', url: '/seller/state/contact-1', headers: { 'content-type': contentType }, payload: JSON.stringify(botState()) })
    t.equal(res.statusCode, 415, contentType)
    t.match(res.json(), { statusCode: 415, error: 'Unsupported Media Type' })
  }
  const withCharset = await put(ctx.app, 'contact-2', botState({ contact_id: 'contact-2' }), { 'content-type': 'application/json; charset=utf-8' })
  t.equal(withCharset.statusCode, 201, 'a charset parameter is fine')
  const k = ctx.keys.of('contact-2')
  t.same(await storedKeys(ctx), [
    k.activeIndex, k.activity('Q2:COLD:u'), k.events, k.indexMeta, k.locationActivity('loc-1', 'Q2:COLD:u'), k.startedIndex, k.state('contact-2')
  ].sort(), 'only the accepted write left keys: its state, its index entries and its change event')
})

t.test('concurrent writers and deleters never leave the state and the index disagreeing', async (t) => {
  const ctx = await build(t)
  const ids = Array.from({ length: 8 }, (_, i) => `racer-${i}`)
  const requests = []
  for (let round = 0; round < 25; round++) {
    for (const id of ids) {
      requests.push(round % 3 === 2
        ? ctx.app.inject({ method: 'DELETE', url: `/seller/state/${id}` })
        : put(ctx.app, id, botState({ contact_id: id, current_question: round % 5 })))
    }
  }
  const statuses = new Set((await Promise.all(requests)).map((res) => res.statusCode))
  t.same([...statuses].sort(), [200, 201, 204])
  for (const id of ids) {
    const stored = await ctx.redis.exists(ctx.keys.of(id).state(id))
    const indexed = await ctx.redis.zscore(ctx.keys.of(id).activeIndex, id)
    t.equal(stored === 1, indexed !== null, `${id}: state and index agree`)
  }
})

t.test('integers the bot reads back as floats, and absurd nesting, are refused with nothing written', async (t) => {
  const ctx = await build(t)
  const text = JSON.stringify(botState())
  const cases: Array<[string, string, RegExp]> = [
    ['2.0', text.replace('"current_question":2', '"current_question":2.0'), /body\/current_question must be written as an integer: send 2 rather than 2.0 or 2e0 \(got 2\.0\)/],
    ['1e5', text.replace('"price_expectation":null', '"price_expectation":1e5'), /body\/price_expectation must be written as an integer/],
    ['3.9999999999999999', text.replace('"questions_answered":1', '"questions_answered":3.9999999999999999'), /body\/questions_answered/]
  ]
  for (const [name, payload, message] of cases) {
    const res = await put(ctx.app, 'contact-1', payload)
    t.equal(res.statusCode, 400, name)
    t.match(res.json(), { code: 'INVALID_DOCUMENT', message }, name)
  }
  const nested = text.replace('"extracted_data":{"roof":"old"}', `"extracted_data":{"x":${'['.repeat(100)}${']'.repeat(100)}}`)
  const deep = await put(ctx.app, 'contact-1', nested)
  t.equal(deep.statusCode, 400)
  t.match(deep.json(), { code: 'INVALID_JSON', message: /deeper than 64 levels/ })
  t.same(await storedKeys(ctx), [])

  const fine = await put(ctx.app, 'contact-1', text.replace('"extracted_data":{"roof":"old"}', '"extracted_data":{"crm_id":12345678901234567890,"ratio":2.50}'))
  t.equal(fine.statusCode, 201, 'free-form fields keep any number spelling')
  const full = await ctx.app.inject({ url: '/seller/active?view=full' })
  t.match(full.body, /"crm_id":12345678901234567890,"ratio":2\.50/, 'view=full carries the document as stored')
  t.equal(full.json().conversations[0].document.contact_id, 'contact-1')
})
