/**
 * The root error and not-found handlers: JSON errors, nothing internal leaked.
 */
import t from 'tap'
import { build } from '../helper.js'

t.test('an unknown route is a JSON 404', async (t) => {
  const { app } = await build(t)
  const res = await app.inject({ url: '/seller/nothing-here?x=1' })
  t.equal(res.statusCode, 404)
  t.same(res.json(), { statusCode: 404, error: 'Not Found', code: 'ROUTE_NOT_FOUND', message: 'Route GET /seller/nothing-here not found; see /docs for the routes' })
  const wrongMethod = await app.inject({ method: 'POST', url: '/seller/state/contact-1', headers: { 'content-type': 'application/json' }, payload: '{}' })
  t.equal(wrongMethod.statusCode, 404)
  t.equal(wrongMethod.json().code, 'ROUTE_NOT_FOUND')
})

t.test('an unexpected failure is a 500 that hides its message and stack', async (t) => {
  const { app } = await build(t, {}, (app) => {
    app.get('/boom', async () => { throw new Error('secret internals at /srv/app.js:12') })
  })
  const res = await app.inject({ url: '/boom' })
  t.equal(res.statusCode, 500)
  t.same(res.json(), { statusCode: 500, error: 'Internal Server Error', message: 'Internal Server Error' })
  t.notMatch(res.body, /secret|\.js/)
})

t.test('a client error keeps its message and code', async (t) => {
  const { app } = await build(t, {}, (app) => {
    app.get('/teapot', async () => { throw Object.assign(new Error('short and stout'), { statusCode: 418, code: 'TEAPOT' }) })
  })
  const res = await app.inject({ url: '/teapot' })
  t.same(res.json(), { statusCode: 418, error: 'I\'m a Teapot', message: 'short and stout', code: 'TEAPOT' })
})
