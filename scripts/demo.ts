/**
 * Plays a seller's conversation from Q0 to QUALIFIED against a running service, through the
 * typed client, printing each state change and the dashboard's summary.
 * SELLER_STATE_URL (default http://127.0.0.1:3000), SELLER_STATE_TOKEN (a write token, if any).
 *
 * --seed N    instead fills the service with N varied conversations (demo-data.ts)
 * --live      then keeps a few of them moving (a write every --interval ms, default 700) until
 *             Ctrl-C, or for --duration seconds
 */
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { SellerStateClient, SellerStateError } from '../src/client/seller-state-client.js'
import { conversationAt, isoformat as isoformatAt, random, seededContactId, seededSeller } from './demo-data.js'

const client = new SellerStateClient({
  baseUrl: process.env.SELLER_STATE_URL ?? 'http://127.0.0.1:3000',
  token: process.env.SELLER_STATE_TOKEN === undefined || process.env.SELLER_STATE_TOKEN === '' ? undefined : process.env.SELLER_STATE_TOKEN
})
const contactId = `demo-${Date.now().toString(36)}`
const isoformat = (): string => new Date().toISOString().replace('Z', '000')

// What the bot learns from each message: the seller's answer and the question it moves to.
const turns: Array<[string, Record<string, unknown>]> = [
  ['Hi, I got your letter about my house', { stage: 'Q1', current_question: 1 }],
  ['It needs a new roof, otherwise fine', { stage: 'Q2', current_question: 2, questions_answered: 1, condition: 'needs_minor_repairs' }],
  ['I would want around 180k', { stage: 'Q3', current_question: 3, questions_answered: 2, price_expectation: 180000 }],
  ['We are relocating for work next month', { stage: 'Q4', current_question: 4, questions_answered: 3, motivation: 'relocation', urgency: 'high' }],
  ['Yes, a cash offer in 2 weeks works', { stage: 'QUALIFIED', questions_answered: 4, offer_accepted: true, timeline_acceptable: true, is_qualified: true }]
]

async function main (): Promise<void> {
  console.log(`seller-state demo: contact ${contactId} at ${process.env.SELLER_STATE_URL ?? 'http://127.0.0.1:3000'}\n`)
  let { etag } = await client.put(contactId, {
    location_id: 'demo_location',
    current_question: 0,
    questions_answered: 0,
    is_qualified: false,
    stage: 'Q0',
    condition: null,
    price_expectation: null,
    motivation: null,
    urgency: null,
    offer_accepted: null,
    timeline_acceptable: null,
    scheduling_offered: false,
    appointment_booked: false,
    appointment_id: null,
    conversation_history: [],
    extracted_data: {},
    last_interaction: null,
    conversation_started: isoformat(),
    seller_name: 'Dana Whitfield',
    property_address: '1412 Elm St, Tulsa, OK'
  }, { create: true })
  console.log(`created          stage Q0            ETag ${etag}`)

  for (const [message, change] of turns) {
    const { state: current } = await client.get(contactId) ?? { state: { conversation_history: [] } }
    const history = [...(current.conversation_history as unknown[]), { role: 'user', content: message, timestamp: isoformat() }].slice(-20)
    const next = await client.patch(contactId, { ...change, conversation_history: history, last_interaction: isoformat() }, { ifMatch: etag })
    etag = next.etag
    console.log(`"${message}"\n  -> stage ${String(next.state.stage).padEnd(10)} answered ${String(next.state.questions_answered)}   ETag ${etag}`)
  }

  const summary = await client.summary('demo_location')
  console.log(`\ndashboard summary for demo_location: ${JSON.stringify(summary)}`)
  const page = await client.listActive({ location_id: 'demo_location', page_size: 5 })
  const mine = page.conversations.find((c) => c.contact_id === contactId)
  console.log(`dashboard row: ${JSON.stringify({ stage: mine?.stage, temperature: mine?.temperature, is_qualified: mine?.is_qualified })}`)
  await client.delete(contactId, { ifMatch: etag })
  console.log(`\ndeleted ${contactId}; the demo leaves nothing behind`)
}

const { values: flags } = parseArgs({
  options: {
    seed: { type: 'string' },
    live: { type: 'boolean', default: false },
    interval: { type: 'string', default: '700' },
    duration: { type: 'string' }
  }
})

// Writes in flight while seeding.
const SEED_CONCURRENCY = 16

async function seed (count: number): Promise<void> {
  const now = Date.now()
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) {
      const { contactId, state } = seededSeller(next++, now)
      await client.put(contactId, state)
    }
  }
  await Promise.all(Array.from({ length: Math.min(SEED_CONCURRENCY, count) }, worker))
  const summary = await client.summary()
  console.log(`seeded ${count} conversations (demo-seed-0000...); the service now holds ${summary.total}: ` +
    `${JSON.stringify(summary.by_stage)}, ${JSON.stringify(summary.by_temperature)}, stalled ${summary.stalled}, qualified ${summary.qualified}`)
}

/** A few conversations move on, one write at a time: the dashboard's feed has something to show. */
async function live (pool: number, intervalMs: number, durationMs: number): Promise<void> {
  const rand = random(Date.now())
  const until = Date.now() + durationMs
  let writes = 0
  const signal = { stopped: false }
  process.once('SIGINT', () => { signal.stopped = true })
  console.log(`live: a write every ${intervalMs} ms among ${pool} conversations; Ctrl-C stops`)
  while (!signal.stopped && Date.now() < until) {
    const i = Math.floor(rand() * pool)
    const contactId = seededContactId(i)
    const current = await client.get(contactId)
    if (current?.state.stage === 'QUALIFIED') {
      // A qualified seller is handed to the acquisitions team: the conversation is done.
      await client.delete(contactId)
      console.log(`${contactId} handed over (deleted)`)
    } else {
      const stage = String(current?.state.stage ?? '')
      const answered = Number(current?.state.questions_answered ?? -1)
      // The next step: a stalled seller who writes again resumes after their last answer.
      const step = current === null ? 0 : stage === 'STALLED' ? Math.min(answered + 1, 5) : ['Q0', 'Q1', 'Q2', 'Q3', 'Q4'].indexOf(stage) + 1
      const base = current === null ? seededSeller(i, Date.now()).state : current.state
      const next = conversationAt(step, {
        location_id: base.location_id,
        seller_name: base.seller_name,
        property_address: base.property_address,
        conversation_started: current === null ? isoformatAt(Date.now()) : base.conversation_started
      }, rand, Date.now())
      await client.put(contactId, next)
      console.log(`${contactId} -> ${String(next.stage)}`)
    }
    writes++
    await sleep(intervalMs)
  }
  console.log(`live: ${writes} writes`)
}

async function run (): Promise<void> {
  if (flags.seed === undefined && !flags.live) return await main()
  const count = flags.seed === undefined ? 0 : Number(flags.seed)
  if (!Number.isInteger(count) || count < 0) throw new Error('--seed takes a number of conversations')
  if (count > 0) await seed(count)
  if (flags.live) await live(Math.max(1, Math.min(count || 50, 50)), Number(flags.interval), flags.duration === undefined ? Infinity : Number(flags.duration) * 1000)
}

run().catch((err: unknown) => {
  if (err instanceof SellerStateError) console.error(`the service refused: ${err.status} ${JSON.stringify(err.body)}`)
  else if (err instanceof TypeError) console.error(`could not reach the service: ${err.message}`)
  else console.error((err as Error).message)
  process.exitCode = 1
})
