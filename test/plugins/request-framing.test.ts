/**
 * Requests Node's parser passes on although they are not what the client sent: refused before any
 * route runs, nothing written.
 */
import t from 'tap'
import { botState, build, getState, putState } from '../helper.js'
import { rawRequest } from '../support/raw-http.js'

const junk = (count: number): Array<[string, string]> => Array.from({ length: count }, (_, i): [string, string] => [`X-H${i}`, 'v'])

t.test('a request that lost headers in Node, or cannot be framed, is refused before its route runs', async (t) => {
  const { app } = await build(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const port = (app.server.address() as { port: number }).port
  t.equal((await putState(app, 'seed-1', botState({ contact_id: 'seed-1' }))).statusCode, 201)
  const deleteWith = async (headers: Array<[string, string]>): Promise<{ status: number, code: string }> => {
    const answer = await rawRequest(port, { method: 'DELETE', target: '/seller/state/seed-1', headers })
    return { status: answer.status, code: JSON.parse(answer.body.toString()).code }
  }

  t.same(await deleteWith([['Transfer-Encoding', 'text/html']]), { status: 400, code: 'MALFORMED_REQUEST' }, 'a coding that does not end with chunked: 400')
  // Node's own 400 (it meets the coding when it reads the body) may come first: a refusal either way.
  t.match(await deleteWith([...junk(999), ['Transfer-Encoding', 'text/html']]), { status: /^(400|431)$/, code: /^(MALFORMED_REQUEST|HEADERS_TOO_LARGE)$/ },
    'the same after 999 other headers, where Node drops it from the headers the route sees')
  t.same(await deleteWith([...junk(999), ['If-Match', '"stale"']]), { status: 431, code: 'HEADERS_TOO_LARGE' },
    'an If-Match Node would drop does not turn into an unconditional delete')
  t.equal((await getState(app, 'seed-1')).statusCode, 200, 'the state is still there')

  t.equal((await deleteWith([...junk(900), ['If-Match', '"stale"']])).status, 412, '900 other headers are kept, If-Match included')
})
