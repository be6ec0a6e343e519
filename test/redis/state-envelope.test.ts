/**
 * The stored envelope: every layout version the service ever wrote stays readable; values of a
 * newer version or of nobody's are reported unreadable instead of being misread.
 */
import t from 'tap'
import { decodeEnvelope, ENVELOPE_VERSION, UNREADABLE } from '../../src/redis/state-envelope.js'
import { botState, build } from '../helper.js'

t.test('decodeEnvelope', async (t) => {
  t.equal(decodeEnvelope([null, null, null, null, null]), null, 'a missing key')
  t.same(decodeEnvelope(['{"a":1}', 'tag', '1764144000000', '1764748800000', '2']),
    { json: '{"a":1}', etag: 'tag', writtenAtMs: 1764144000000, expiresAtMs: 1764748800000 }, 'the current layout')
  t.same(decodeEnvelope(['{"a":1}', 'tag', '1764144000000', null, '1']),
    { json: '{"a":1}', etag: 'tag', writtenAtMs: 1764144000000, expiresAtMs: null }, 'layout 1 recorded no expiry')
  t.equal(decodeEnvelope(['{"a":1}', 'tag', '1764144000000', '1764748800000', '99']), UNREADABLE, 'a layout from a newer version')
  t.equal(decodeEnvelope(['{"a":1}', 'tag', '1764144000000', '1764748800000', null]), UNREADABLE, 'no version at all')
  t.equal(decodeEnvelope([null, 'tag', '1764144000000', '1764748800000', '2']), UNREADABLE, 'no document')
  t.equal(decodeEnvelope(['{"a":1}', 'tag', '1764144000000', null, '2']), UNREADABLE, 'layout 2 without its expiry')
  t.equal(ENVELOPE_VERSION, '2', 'when this changes, add a reader for the old layout and a fixture below')
})

t.test('a state stored in layout 1 (the first release) is read back as it was, and rewritten in the current one', async (t) => {
  const { app, redis, config } = await build(t)
  // Exactly what the first release wrote.
  const doc = '{"contact_id":"v1-contact","location_id":"loc-1","current_question":1,"questions_answered":0,"is_qualified":false,"stage":"Q1","condition":null,"price_expectation":null,"motivation":null,"urgency":null,"offer_accepted":null,"timeline_acceptable":null,"scheduling_offered":false,"appointment_booked":false,"appointment_id":null,"conversation_history":[],"extracted_data":{},"last_interaction":null,"conversation_started":"2026-01-23T10:29:00"}'
  await redis.hset(`${config.keyPrefix}state:v1-contact`, 'doc', doc, 'etag', 'v1etag', 'at', '1764144000000', 'v', '1')
  await redis.zadd(`${config.keyPrefix}active_contacts`, Date.now() + 60_000, 'v1-contact')
  const res = await app.inject({ url: '/seller/state/v1-contact' })
  t.equal(res.statusCode, 200)
  t.equal(res.body, doc)
  t.equal(res.headers.etag, '"v1etag"')
  t.equal(res.headers['last-modified'], new Date(1764144000000).toUTCString())
  t.equal(res.headers['x-expires-at'], undefined, 'layout 1 did not record the expiry')
  // The first release kept no listing indexes: the start-up sweep indexes its states.
  t.same(await app.indexMaintenance.sweep(), { expired: 0, ghosts: 0, orphans: 1, prototypeStates: 0 })
  t.same((await app.inject({ url: '/seller/active' })).json().conversations.map((c: { contact_id: string }) => c.contact_id), ['v1-contact'])

  const patched = await app.inject({ method: 'PATCH', url: '/seller/state/v1-contact', headers: { 'content-type': 'application/merge-patch+json' }, payload: '{"stage": "Q2"}' })
  t.equal(patched.statusCode, 200)
  t.equal(await redis.hget(`${config.keyPrefix}state:v1-contact`, 'v'), ENVELOPE_VERSION, 'the next write stores the current layout')
  t.ok(patched.headers['x-expires-at'])
})

t.test('a state written by a newer version is reported, not misread, and a PUT replaces it', async (t) => {
  const { app, redis, config } = await build(t)
  await redis.hset(`${config.keyPrefix}state:future`, 'payload', '...', 'v', '2')
  const res = await app.inject({ url: '/seller/state/future' })
  t.equal(res.statusCode, 500)
  t.equal(res.json().code, 'STATE_UNREADABLE')
  const put = await app.inject({ method: 'PUT', url: '/seller/state/future', payload: botState({ contact_id: 'future' }) })
  t.equal(put.statusCode, 200)
  t.equal((await app.inject({ url: '/seller/state/future' })).statusCode, 200)
})
