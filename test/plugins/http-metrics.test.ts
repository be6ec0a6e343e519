/**
 * /metrics: requests by route pattern and status with their latency, active conversations, Redis
 * failures and Node's process metrics.
 */
import t from 'tap'
import { botState, build, getState, metricValue, privateRedis, putState } from '../helper.js'

t.test('requests are counted by route pattern and status, with a latency histogram', async (t) => {
  const { app } = await build(t)
  await putState(app, 'contact-1', botState())
  await getState(app, 'contact-1')
  await getState(app, 'contact-2')
  await app.inject({ url: '/nowhere' })
  const route = 'route="/seller/state/:contactId"'
  t.equal(await metricValue(app, `http_requests_total{method="PUT",${route},status_code="201"}`), 1)
  t.equal(await metricValue(app, `http_requests_total{method="GET",${route},status_code="200"}`), 1)
  t.equal(await metricValue(app, `http_requests_total{method="GET",${route},status_code="404"}`), 1)
  t.equal(await metricValue(app, 'http_requests_total{method="GET",route="unmatched",status_code="404"}'), 1, 'unknown paths share one series')
  t.equal(await metricValue(app, `http_request_duration_seconds_count{method="GET",${route},status_code="200"}`), 1)
  t.equal(await metricValue(app, `http_request_duration_seconds_bucket{le="+Inf",method="GET",${route},status_code="200"}`), 1)
})

t.test('active conversations, and Node\'s process metrics', async (t) => {
  const { app } = await build(t)
  t.equal(await metricValue(app, 'seller_state_active_conversations'), 0)
  await putState(app, 'contact-1', botState())
  await putState(app, 'contact-2', botState({ contact_id: 'contact-2' }))
  t.equal(await metricValue(app, 'seller_state_active_conversations'), 2)
  const text = (await app.inject({ url: '/metrics' })).body
  for (const name of ['nodejs_eventloop_lag_seconds', 'process_cpu_user_seconds_total', 'nodejs_heap_size_used_bytes']) {
    t.match(text, new RegExp(`\\n${name} `), name)
  }
})

t.test('Redis failures are counted, and /metrics still answers while Redis is down', async (t) => {
  const server = await privateRedis(t)
  const { app } = await build(t, { REDIS_URL: server.url })
  await putState(app, 'contact-1', botState())
  t.equal(await metricValue(app, 'seller_state_active_conversations'), 1)
  await server.stop()
  t.equal((await getState(app, 'contact-1')).statusCode, 503)
  const res = await app.inject({ url: '/metrics' })
  t.equal(res.statusCode, 200)
  t.equal(await metricValue(app, 'seller_state_redis_errors_total{kind="unavailable"}'), 1)
  t.equal(await metricValue(app, 'seller_state_active_conversations'), 1, 'the last known count')
})
