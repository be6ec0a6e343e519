/**
 * Every 4xx says what to send instead, not only what was wrong: a client reading the message
 * alone can correct its request.
 */
import t from 'tap'
import type { InjectOptions } from 'fastify'
import { botState, build, putState } from '../helper.js'
import { rawRequest } from '../support/raw-http.js'

const WRITE = 'write-token-0123456789abcdef'
const READ = 'read-token-0123456789abcdefg'
const json = { 'content-type': 'application/json' }
const write = { ...json, authorization: `Bearer ${WRITE}` }
const read = { authorization: `Bearer ${READ}` }

// What an instruction reads like: send this, use that, GET, PUT, follow, retry, see.
const INSTRUCTION = /\b(send|use|GET it|PUT a state|follow|retry|see \/docs)\b/

t.test('each refusal names what to send instead', async (t) => {
  const { app } = await build(t, { API_KEYS: `read:${READ},write:${WRITE}`, REQUIRE_PRECONDITION: 'true', BODY_LIMIT_BYTES: '4096' })
  t.equal((await putState(app, 'contact-1', botState(), write)).statusCode, 201)
  t.equal((await putState(app, 'contact-2', botState({ contact_id: 'contact-2' }), { ...write, 'idempotency-key': 'SM1' })).statusCode, 201)
  const state = JSON.stringify(botState())

  const cases: Array<[string, InjectOptions, number, RegExp]> = [
    ['a PUT without a content type', { method: 'PUT', url: '/seller/state/contact-1', headers: { authorization: `Bearer ${WRITE}`, 'content-type': 'text/plain' }, payload: state }, 415,
      /^Content-Type text\/plain is not accepted: send the document as JSON with Content-Type: application\/json$/],
    ['a PATCH as text', { method: 'PATCH', url: '/seller/state/contact-1', headers: { authorization: `Bearer ${WRITE}`, 'content-type': 'text/plain' }, payload: '{}' }, 415,
      /send a JSON Merge Patch with Content-Type: application\/merge-patch\+json \(or application\/json\)/],
    ['a PUT without a body', { method: 'PUT', url: '/seller/state/contact-1', headers: { authorization: `Bearer ${WRITE}` } }, 400,
      /^body is missing: send the document as a JSON object with Content-Type: application\/json$/],
    ['a body too large', { method: 'PUT', url: '/seller/state/contact-1', headers: write, payload: JSON.stringify(botState({ motivation: 'x'.repeat(5000) })) }, 413,
      /larger than 4096 bytes: send a smaller document/],
    ['broken JSON', { method: 'PUT', url: '/seller/state/contact-1', headers: write, payload: '{"stage":' }, 400, /send a JSON document/],
    ['a broken %-encoding', { url: '/seller/state/%E0%A4%A', headers: read }, 400, /send the path percent-encoded as UTF-8/],
    ['an unknown parameter', { url: '/seller/active?stg=Q2', headers: read }, 400, /^querystring\/stg is not a known parameter; use location_id, stage, temperature/],
    ['a stale cursor', { url: '/seller/active?cursor=abc', headers: read }, 400, /send the next_cursor of the previous page/],
    ['a new contact', { url: '/seller/state/nobody', headers: read }, 404, /^No state stored for contact nobody; PUT a state to create it$/],
    ['an unknown route', { url: '/sellers', headers: read }, 404, /see \/docs for the routes/],
    ['no token', { url: '/seller/state/contact-1' }, 401, /send Authorization: Bearer <token>/],
    ['a wrong token', { url: '/seller/state/contact-1', headers: { authorization: 'Bearer not-a-token-of-this-service' } }, 401, /send Authorization: Bearer <token> with a token of API_KEYS/],
    ['a read token on a write', { method: 'DELETE', url: '/seller/state/contact-1', headers: read }, 403, /send a write token/],
    ['a stale ETag', { method: 'PUT', url: '/seller/state/contact-1', headers: { ...write, 'if-match': '"stale"' }, payload: state }, 412, /GET it again and send its new ETag/],
    ['a create of an existing contact', { method: 'PUT', url: '/seller/state/contact-1', headers: { ...write, 'if-none-match': '*' }, payload: state }, 412, /GET it and send its ETag in If-Match/],
    ['If-Match on a missing contact', { method: 'PUT', url: '/seller/state/nobody', headers: { ...write, 'if-match': '*' }, payload: JSON.stringify(botState({ contact_id: 'nobody' })) }, 412, /send If-None-Match: \* to create it/],
    ['a write without If-Match', { method: 'PUT', url: '/seller/state/contact-1', headers: write, payload: state }, 428, /GET it and send its ETag in If-Match/],
    ['an Idempotency-Key reused', { method: 'DELETE', url: '/seller/state/contact-2', headers: { authorization: `Bearer ${WRITE}`, 'idempotency-key': 'SM1', 'if-match': '*' } }, 422, /send a new key/],
    ['a float spelling', { method: 'PUT', url: '/seller/state/contact-3', headers: { ...write, 'if-none-match': '*' }, payload: JSON.stringify(botState({ contact_id: 'contact-3' })).replace('"current_question":2', '"current_question":2.0') }, 400, /send 2 rather than 2\.0/]
  ]
  for (const [label, request, status, message] of cases) {
    const res = await app.inject(request)
    t.equal(res.statusCode, status, `${label}: ${res.body}`)
    t.match(res.json().message, message, label)
    t.match(res.json().message, INSTRUCTION, `${label}: an instruction`)
  }

  const port = Number(new URL(await app.listen({ port: 0, host: '127.0.0.1' })).port)
  for (const [label, request, status] of [
    ['no Host', { method: 'GET', target: '/health/live', omitHost: true }, 400],
    ['headers over 16 KB', { method: 'GET', target: '/health/live', headers: [['X-Big', 'a'.repeat(20000)]] }, 431],
    ['a broken header', { method: 'GET', target: '/health/live', headers: [['X-Bad', 'a\u0001b']] }, 400],
    ['Expect: later', { method: 'GET', target: '/health/live', headers: [['Expect', 'later']] }, 417]
  ] as const) {
    const res = await rawRequest(port, { ...request, headers: 'headers' in request ? request.headers.map(([name, value]) => [name, value]) : [] })
    t.equal(res.status, status, label)
    t.match(JSON.parse(res.body.toString()).message, INSTRUCTION, `${label}: an instruction`)
  }
})
