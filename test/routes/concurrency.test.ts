/**
 * Bot workers racing on one contact: optimistic concurrency loses no update, and the merge of a
 * PATCH is atomic. The unconditional PUT is shown losing updates, which is why the rest matters.
 */
import t from 'tap'
import { botState, build, type TestApp } from '../helper.js'
import { buildApp } from '../../src/app.js'

type App = TestApp['app']

const CLIENTS = 20
const INCREMENTS = 25
const CONTACT = 'racer'
const URL = `/seller/state/${CONTACT}`

async function createCounter (app: App): Promise<void> {
  const res = await app.inject({ method: 'PUT', url: URL, payload: botState({ contact_id: CONTACT, extracted_data: { counter: 0 } }) })
  if (res.statusCode !== 201) throw new Error(`setup failed: ${res.statusCode} ${res.body}`)
}

async function read (app: App): Promise<{ counter: number, etag: string, doc: Record<string, any> }> {
  const res = await app.inject({ url: URL })
  const doc = res.json()
  return { counter: doc.extracted_data.counter, etag: res.headers.etag as string, doc }
}

/** One increment the way a careful bot does it: read, change, write if unchanged, else again. */
async function incrementWith (app: App, write: (etag: string, doc: Record<string, any>, counter: number) => Promise<number>): Promise<number> {
  let conflicts = 0
  for (;;) {
    const { etag, doc, counter } = await read(app)
    const status = await write(etag, doc, counter)
    if (status === 200) return conflicts
    if (status !== 412) throw new Error(`unexpected status ${status}`)
    conflicts++
  }
}

async function race (app: App, increment: () => Promise<number>): Promise<number> {
  const conflicts = await Promise.all(Array.from({ length: CLIENTS }, async () => {
    let total = 0
    for (let i = 0; i < INCREMENTS; i++) total += await increment()
    return total
  }))
  return conflicts.reduce((a, b) => a + b, 0)
}

t.test('20 clients adding 25 each with GET then PUT If-Match, retrying on 412: exactly 500', async (t) => {
  const { app } = await build(t)
  await createCounter(app)
  const conflicts = await race(app, () => incrementWith(app, async (etag, doc, counter) => {
    doc.extracted_data.counter = counter + 1
    const res = await app.inject({ method: 'PUT', url: URL, headers: { 'if-match': etag }, payload: doc })
    return res.statusCode
  }))
  t.equal((await read(app)).counter, CLIENTS * INCREMENTS)
  t.ok(conflicts > 0, `the clients did collide: ${conflicts} writes were refused with 412 and retried`)
  t.comment(`PUT If-Match: ${CLIENTS * INCREMENTS} increments, ${conflicts} conflicts retried`)
})

t.test('the same through PATCH with If-Match: exactly 500', async (t) => {
  const { app } = await build(t)
  await createCounter(app)
  const conflicts = await race(app, () => incrementWith(app, async (etag, _doc, counter) => {
    const res = await app.inject({
      method: 'PATCH',
      url: URL,
      headers: { 'if-match': etag, 'content-type': 'application/merge-patch+json' },
      payload: JSON.stringify({ extracted_data: { counter: counter + 1 } })
    })
    return res.statusCode
  }))
  t.equal((await read(app)).counter, CLIENTS * INCREMENTS)
  t.ok(conflicts > 0, `the clients did collide: ${conflicts} patches were refused with 412 and retried`)
  t.comment(`PATCH If-Match: ${CLIENTS * INCREMENTS} increments, ${conflicts} conflicts retried`)
})

t.test('why it matters: unconditional read-modify-write PUTs lose updates', async (t) => {
  const { app } = await build(t)
  await createCounter(app)
  // Every round, all clients read before any writes: what a burst of SMS does to a naive bot.
  for (let round = 0; round < INCREMENTS; round++) {
    const reads = await Promise.all(Array.from({ length: CLIENTS }, async () => await read(app)))
    await Promise.all(reads.map(async ({ doc, counter }) => {
      doc.extracted_data.counter = counter + 1
      const res = await app.inject({ method: 'PUT', url: URL, payload: doc })
      t.equal(res.statusCode, 200)
    }))
  }
  const final = (await read(app)).counter
  t.equal(final, INCREMENTS, `${CLIENTS * INCREMENTS} increments acknowledged, ${final} kept: ${CLIENTS * INCREMENTS - final} lost`)
  t.comment(`unconditional PUT: ${CLIENTS * INCREMENTS} acknowledged, ${final} kept`)
})

t.test('concurrent PATCHes of different fields without If-Match all land: the merge is atomic', async (t) => {
  const { app, keys, redis } = await build(t)
  await createCounter(app)
  const statuses = await Promise.all(Array.from({ length: CLIENTS }, async (_, i) => (await app.inject({
    method: 'PATCH',
    url: URL,
    headers: { 'content-type': 'application/merge-patch+json' },
    payload: JSON.stringify({ extracted_data: { [`answer_${i}`]: i } })
  })).statusCode))
  t.same(new Set(statuses), new Set([200]), 'every patch succeeded (the service retried the conflicts itself)')
  const { doc } = await read(app)
  for (let i = 0; i < CLIENTS; i++) t.equal(doc.extracted_data[`answer_${i}`], i, `answer_${i} kept`)
  t.equal(doc.extracted_data.counter, 0, 'the untouched member too')
  t.equal(await redis.exists(keys.of(CONTACT).state(CONTACT)), 1)
  const metrics = (await app.inject({ url: '/metrics' })).body
  t.match(metrics, /\nseller_state_patch_retries_total 0\n/, 'queued within the replica: no merge had to be redone')
})

t.test('concurrent PATCHes through two replicas all land: conflicts between them are retried', async (t) => {
  const { app, config } = await build(t)
  const other = await buildApp(config)
  t.teardown(() => other.close())
  await other.ready()
  await createCounter(app)
  const replicas = [app, other]
  const statuses = await Promise.all(Array.from({ length: CLIENTS }, async (_, i) => (await (replicas[i % 2] as App).inject({
    method: 'PATCH',
    url: URL,
    headers: { 'content-type': 'application/merge-patch+json' },
    payload: JSON.stringify({ extracted_data: { [`answer_${i}`]: i } })
  })).statusCode))
  t.same(new Set(statuses), new Set([200]))
  const { doc } = await read(app)
  t.same(Object.keys(doc.extracted_data).sort(), ['counter', ...Array.from({ length: CLIENTS }, (_, i) => `answer_${i}`)].sort())
})

t.test('a GET or PATCH racing the PUT that creates its contact answers 404 or the new state, never 500', async (t) => {
  const { app } = await build(t)
  // Sent together, the read's first look at Redis comes before the PUT's script and its second
  // after it: a contact being created must not pass for a value that is not a state.
  const answers: string[] = []
  for (let i = 0; i < 10; i++) {
    const id = `new-${i}`
    const [get, patch, put] = await Promise.all([
      app.inject({ url: `/seller/state/${id}` }),
      app.inject({ method: 'PATCH', url: `/seller/state/${id}`, headers: { 'content-type': 'application/merge-patch+json' }, payload: '{"stage": "Q3"}' }),
      app.inject({ method: 'PUT', url: `/seller/state/${id}`, payload: botState({ contact_id: id }) })
    ])
    t.equal(put.statusCode, 201)
    answers.push(`GET ${get.statusCode}`, `PATCH ${patch.statusCode}`)
  }
  t.same(answers.filter((answer) => !/^(GET|PATCH) (200|404)$/.test(answer)), [], 'each read the state before or after its creation')
})
