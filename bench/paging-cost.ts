/**
 * npm run bench:paging: the Redis time of the dashboard's listing at depth, measured in Redis
 * itself (SLOWLOG at 0 µs records every command's duration). 100,000 contacts of the benchmark's
 * kind, plus 30,000 that share one last_interaction; then deep page numbers, cursor walks through
 * the ties and to the end, each sort and filter. Prints the slowest command of each case.
 */
import { Redis } from 'ioredis'
import { keepAliveClient } from '../test/support/keep-alive-client.js'
import { populate } from './populate.js'
import { startRedis, startService } from './processes.js'

const CONTACTS = Number(process.env.PAGING_CONTACTS ?? 100_000)
const TIED = Number(process.env.PAGING_TIED ?? 30_000)
const log = (message: string): void => { process.stdout.write(`${message}\n`) }

const redis = await startRedis()
const service = await startService(redis.url, 'seller:', { REDIS_COMMAND_TIMEOUT_MS: '10000', MAX_EVENT_LOOP_DELAY_MS: '0' })
const admin = new Redis(redis.url)
try {
  const started = Date.now()
  await populate(redis.url, 'seller:', 0, CONTACTS, Date.now())
  const client = keepAliveClient(service.url, 16)
  let next = 0
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < TIED) {
      const i = next++
      const body = JSON.stringify({ location_id: 'loc-tied', current_question: 1, questions_answered: 1, is_qualified: false, stage: 'Q1', condition: null, price_expectation: null, motivation: null, urgency: null, offer_accepted: null, timeline_acceptable: null, scheduling_offered: false, appointment_booked: false, appointment_id: null, conversation_history: [], extracted_data: {}, last_interaction: '2026-01-23T10:30:00', conversation_started: '2026-01-23T10:00:00' })
      const answer = await client.send('PUT', `/seller/state/tied-${String(i).padStart(6, '0')}`, body, { 'content-type': 'application/json' })
      if (answer.status >= 300) throw new Error(`tied-${i}: ${answer.status}`)
    }
  }))
  log(`${CONTACTS} + ${TIED} tied contacts in ${((Date.now() - started) / 1000).toFixed(0)} s`)

  await admin.config('SET', 'slowlog-log-slower-than', '0')
  await admin.config('SET', 'slowlog-max-len', '100000')
  const slowest = async (): Promise<{ ms: number, command: string, count: number }> => {
    const entries = await admin.slowlog('GET', 100000) as Array<[number, number, number, string[]]>
    await admin.slowlog('RESET')
    const own = entries.filter(([, , , args]) => !['slowlog', 'config'].includes(String(args[0]).toLowerCase()))
    const top = own.reduce((a, b) => (b[2] > a[2] ? b : a), [0, 0, 0, ['none']] as [number, number, number, string[]])
    return { ms: top[2] / 1000, command: String(top[3][0]), count: own.length }
  }
  await slowest()

  const get = async (path: string): Promise<{ status: number, body: any }> => {
    const answer = await client.send('GET', path)
    return { status: answer.status, body: answer.status === 200 ? JSON.parse(answer.body) : answer.body }
  }
  const cases: Array<[string, () => Promise<string>]> = []
  for (const query of ['', 'sort=stage', 'sort=temperature&order=asc', 'sort=conversation_started', 'stage=Q1', 'location_id=loc-tied', 'stalled=true']) {
    for (const page of [1, 5, 6]) {
      cases.push([`page ${page} x 200 ${query || 'unfiltered'}`, async () => String((await get(`/seller/active?page=${page}&page_size=200&${query}`)).status)])
    }
    cases.push([`cursor walk, 60 pages x 200, ${query || 'unfiltered'}`, async () => {
      let cursor: string | null = null
      let pages = 0
      do {
        const { body } = await get(`/seller/active?page_size=200&${query}${cursor === null ? '' : `&cursor=${cursor}`}`)
        cursor = body.next_cursor
        pages++
      } while (cursor !== null && pages < 60)
      return `${pages} pages`
    }])
  }
  cases.push(['cursor walk through 30,000 ties (location_id=loc-tied), 150 pages x 200', async () => {
    let cursor: string | null = null
    let pages = 0
    do {
      const { body } = await get(`/seller/active?page_size=200&location_id=loc-tied${cursor === null ? '' : `&cursor=${cursor}`}`)
      cursor = body.next_cursor
      pages++
    } while (cursor !== null)
    return `${pages} pages`
  }])
  cases.push(['summary', async () => String((await get('/seller/active/summary')).status)])
  for (const [name, run] of cases) {
    const outcome = await run()
    const { ms, command, count } = await slowest()
    log(`${name.padEnd(70)} ${outcome.padEnd(10)} slowest command ${ms.toFixed(2)} ms (${command}, ${count} commands)`)
  }
  client.close()
} finally {
  admin.disconnect()
  await service.stop()
  await redis.stop()
}
