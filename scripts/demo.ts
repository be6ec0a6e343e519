/**
 * Plays a seller's conversation from Q0 to QUALIFIED against a running service, through the
 * typed client, printing each state change and the dashboard's summary.
 * SELLER_STATE_URL (default http://127.0.0.1:3000), SELLER_STATE_TOKEN (a write token, if any).
 */
import { SellerStateClient, SellerStateError } from '../src/client/seller-state-client.js'

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

main().catch((err: unknown) => {
  if (err instanceof SellerStateError) console.error(`the service refused: ${err.status} ${JSON.stringify(err.body)}`)
  else console.error(`could not reach the service: ${(err as Error).message}`)
  process.exitCode = 1
})
