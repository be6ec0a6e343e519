/**
 * Issue 11: one client holding a valid token (or none) must not degrade the bot's path. Each
 * attack of the issue runs for a few seconds beside the victim, a GET every 50 ms on its own
 * connection, against one private instance (30,000 active contacts sharing one
 * last_interaction, heap capped at 448 MB). Beside each: the victim gets only 200s with a p99
 * under 150 ms (250 ms beside the searches), the process lives, and no command of the service
 * takes 25 ms in Redis (SLOWLOG). An attack whose bounds were missed runs once more (see
 * attackTwiceIfMissed): the machine's cores are shared with other work.
 */
import t from 'tap'
import { attackTwiceIfMissed, checkNoSlowCommand, checkVictim, keptBounds, repeat, underAttack, VICTIM_ID } from './support/attack.js'
import { authorized, READ_TOKEN, EXPERIMENT_NICE, seed, seededState, startTarget, usedMemory, WRITE_TOKEN } from './support/target.js'

const CONTACTS = Number(process.env.HOSTILE_CONTACTS ?? 30_000)
const JSON_TYPE = { 'content-type': 'application/json' }
const MERGE_PATCH = { 'content-type': 'application/merge-patch+json' }
const READ = authorized(READ_TOKEN)
const WRITE = authorized(WRITE_TOKEN)
const VICTIM_BOUND_MS = 150
const VICTIM_BOUND_BESIDE_SEARCH_MS = 250

const target = await startTarget(t)
const { service, admin } = target
const started = Date.now()
await seed(service.url, CONTACTS)
const victimPut = await fetch(`${service.url}/seller/state/${VICTIM_ID}`, { method: 'PUT', headers: { ...JSON_TYPE, ...WRITE }, body: seededState(1, VICTIM_ID) })
t.equal(victimPut.status, 201, 'the victim\'s state is stored')
t.comment(`seeded ${CONTACTS} contacts in ${((Date.now() - started) / 1000).toFixed(1)} s`)

const alive = async (): Promise<boolean> =>
  await Promise.race([service.exited.then(() => false), fetch(`${service.url}/health/live`).then((res) => res.ok, () => false)])

t.test('If-None-Match with 5,000 tags, back to back on one connection', async (t) => {
  const tags = Array.from({ length: 5000 }, () => '""').join(',')
  const result = await attackTwiceIfMissed(t, async () => await underAttack(t, target, 'tags', 1, 6, async (client, deadline, count) => {
    await repeat(client, deadline, count, async (c) => await c.send('GET', `/seller/state/${VICTIM_ID}`, undefined, { ...READ, 'if-none-match': tags }))
  }), (r) => keptBounds(r, VICTIM_BOUND_MS))
  checkVictim(t, result, VICTIM_BOUND_MS)
  checkNoSlowCommand(t, result)
  t.same(Object.keys(result.answers), ['400'], 'every attack answered 400 (too many tags)')
  t.ok(await alive(), 'the service lives')
})

t.test('deep pages and cursor walks over contacts that share one last_interaction, 8 connections', async (t) => {
  const result = await attackTwiceIfMissed(t, async () => await underAttack(t, target, 'listing', 8, 15, async (client, deadline, count) => {
    const walker = Math.random() < 0.5
    let cursor: string | null = null
    await repeat(client, deadline, count, async (c) => {
      if (!walker) return await c.send('GET', '/seller/active?page=51&page_size=200', undefined, READ)
      const answer = await c.send('GET', `/seller/active?page_size=200${cursor === null ? '' : `&cursor=${cursor}`}`, undefined, READ)
      cursor = answer.status === 200 ? (JSON.parse(answer.body) as { next_cursor: string | null }).next_cursor : null
      return answer
    })
  }), (r) => keptBounds(r, VICTIM_BOUND_MS))
  checkVictim(t, result, VICTIM_BOUND_MS)
  checkNoSlowCommand(t, result)
  t.notOk(Object.keys(result.answers).some((status) => status.startsWith('5') || status === 'error'), `no 5xx (${JSON.stringify(result.answers)})`)
  t.ok(await alive(), 'the service lives')
})

t.test('200 PATCHes with Idempotency-Keys of a 200 KB document', async (t) => {
  const big = JSON.parse(seededState(2, 'big')) as Record<string, unknown>
  big.extracted_data = { notes: 'n'.repeat(200_000) }
  const put = await fetch(`${service.url}/seller/state/big`, { method: 'PUT', headers: { ...JSON_TYPE, ...WRITE }, body: JSON.stringify(big) })
  t.equal(put.status, 201, 'the 200 KB state is stored')
  let growth = 0
  const result = await attackTwiceIfMissed(t, async (attempt) => {
    const before = await usedMemory(admin)
    let next = 0
    const run = await underAttack(t, target, 'idempotent-patches', 4, 60, async (client, _deadline, count) => {
      while (next < 200) {
        const i = next++
        count(await client.send('PATCH', '/seller/state/big', JSON.stringify({ extracted_data: { n: i } }), { ...MERGE_PATCH, ...WRITE, 'idempotency-key': `sms-${attempt}-${i}` }))
      }
    })
    growth = await usedMemory(admin) - before
    t.comment(`Redis grew by ${(growth / 1e6).toFixed(2)} MB for 200 keyed PATCHes of a 200 KB document`)
    return run
  }, (r) => keptBounds(r, VICTIM_BOUND_MS) && growth < 10e6)
  t.same(result.answers, { 200: 200 }, 'every PATCH answered 200')
  t.ok(growth < 10e6, `Redis grew by ${(growth / 1e6).toFixed(2)} MB, under 10 MB`)
  const replay = await fetch(`${service.url}/seller/state/big`, { method: 'PATCH', headers: { ...MERGE_PATCH, ...WRITE, 'idempotency-key': 'sms-1-0' }, body: JSON.stringify({ extracted_data: { n: 0 } }) })
  t.equal(replay.headers.get('idempotent-replayed'), 'true', 'a repeated key is still replayed')
  checkVictim(t, result, VICTIM_BOUND_MS)
  checkNoSlowCommand(t, result)
})

t.test('a Redis script that keeps Redis busy', async (t) => {
  await admin.config('SET', 'busy-reply-threshold', '50')
  // The busy script stands for another client's work: it gets no priority over the service.
  target.prioritizeRedis(0)
  t.teardown(() => target.prioritizeRedis(EXPERIMENT_NICE))
  const busyFor = 1500
  const script = `local t0 = redis.call('TIME') local s0 = t0[1] * 1000 + t0[2] / 1000
    while true do local t = redis.call('TIME') if t[1] * 1000 + t[2] / 1000 - s0 > tonumber(ARGV[1]) then break end end return 1`
  let readiness: Array<{ status: number, body: string }> = []
  const result = await attackTwiceIfMissed(t, async () => {
    readiness = []
    return await underAttack(t, target, 'busy-script', 1, 3, async (client, deadline, count) => {
      const busy = admin.duplicate({ connectionName: 'hostile-admin' })
      const running = busy.eval(script, 0, String(busyFor))
      await new Promise((resolve) => setTimeout(resolve, 200))
      for (let i = 0; i < 5; i++) {
        const answer = await client.send('GET', '/health/ready')
        readiness.push({ status: answer.status, body: answer.body })
        count(answer)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      await running
      busy.disconnect()
      await repeat(client, deadline, count, async (c) => await c.send('GET', '/health/ready'))
    })
  }, (r) => keptBounds(r, VICTIM_BOUND_MS, ['200', '503']))
  t.comment(`readiness while Redis was busy: ${JSON.stringify(readiness[0])}`)
  const busyAnswers = readiness.filter((answer) => answer.status === 503)
  t.ok(busyAnswers.length > 0, 'readiness answered 503 while Redis was busy')
  for (const answer of busyAnswers) {
    t.match(answer.body, /Redis is busy/, 'readiness says Redis is busy in its own words')
    t.notMatch(answer.body, /SCRIPT KILL|BUSY Redis/, 'and not with Redis\'s reply')
  }
  const { statuses } = result.victim
  t.notOk(Object.keys(statuses).some((status) => status !== '200' && status !== '503'), `the victim got 200s, or 503s while Redis was busy (${JSON.stringify(statuses)})`)
  t.ok(result.victim.p99 < VICTIM_BOUND_MS, `the victim's p99 ${result.victim.p99.toFixed(1)} ms is under ${VICTIM_BOUND_MS} ms`)
  t.equal((await fetch(`${service.url}/health/ready`)).status, 200, 'ready again once the script ended')
  // The busy script is the test's own (its client name): the service's commands stay fast.
  checkNoSlowCommand(t, result)
})

t.test('escaped and duplicate member names', async (t) => {
  const base = seededState(2, 'dup1')
  const escaped = base.replace('"current_question":2', '"current\\u005fquestion":2.0')
  const duplicate = `{"contact_id":"someone_else",${base.slice(1)}`
  const result = await attackTwiceIfMissed(t, async () => await underAttack(t, target, 'members', 4, 8, async (client, deadline, count) => {
    let i = 0
    await repeat(client, deadline, count, async (c) => await c.send('PUT', '/seller/state/dup1', i++ % 2 === 0 ? escaped : duplicate, { ...JSON_TYPE, ...WRITE }))
  }), (r) => keptBounds(r, VICTIM_BOUND_MS))
  checkVictim(t, result, VICTIM_BOUND_MS)
  checkNoSlowCommand(t, result)
  t.same(Object.keys(result.answers), ['400'], `every attack answered 400 (${JSON.stringify(result.answers)})`)
  t.equal((await fetch(`${service.url}/seller/state/dup1`, { headers: READ })).status, 404, 'nothing was stored')
})

t.test('a flood of failed tokens from 16 connections', async (t) => {
  let lines = 0
  const result = await attackTwiceIfMissed(t, async () => {
    const linesBefore = service.output().split('\n').length
    const run = await underAttack(t, target, 'failed-tokens', 16, 12, async (client, deadline, count) => {
      await repeat(client, deadline, count, async (c) => await c.send('GET', `/seller/state/${VICTIM_ID}`, undefined, authorized('not-a-valid-token-at-all')))
    })
    lines = service.output().split('\n').length - linesBefore
    return run
  }, (r) => keptBounds(r, VICTIM_BOUND_MS))
  const attempts = Object.values(result.answers).reduce((sum, n) => sum + n, 0)
  t.comment(`${attempts} failed requests wrote ${lines} log lines`)
  checkVictim(t, result, VICTIM_BOUND_MS)
  checkNoSlowCommand(t, result)
  t.ok((result.answers['429'] ?? 0) > 0, `the address was limited with 429s (${JSON.stringify(result.answers)})`)
  t.ok(lines < 50, `the failures were summed up in a few log lines (${lines})`)
})

// Last: before issue 11 these searches could kill the process.
t.test('8 concurrent searches with view=full, heap capped at 448 MB', async (t) => {
  const result = await attackTwiceIfMissed(t, async () => await underAttack(t, target, 'searches', 8, 12, async (client, deadline, count) => {
    await repeat(client, deadline, count, async (c) => await c.send('GET', '/seller/active?q=elm&view=full&page_size=200', undefined, READ))
  }), (r) => keptBounds(r, VICTIM_BOUND_BESIDE_SEARCH_MS))
  t.ok(await alive(), 'the service lives')
  checkVictim(t, result, VICTIM_BOUND_BESIDE_SEARCH_MS)
  checkNoSlowCommand(t, result)
  t.ok((result.answers['200'] ?? 0) > 0, `some searches were answered (${JSON.stringify(result.answers)})`)
  t.notOk(Object.keys(result.answers).some((status) => !['200', '429', '503'].includes(status)), 'the others were told to retry (429 or 503)')
})
