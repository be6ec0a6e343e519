/**
 * `npm run bench:feed`: the change feed's figures, on the built service and a private
 * redis-server (see bench/README.md): latency from a PUT on one replica to its event on another
 * (1,000 writes, one at a time), events per second one replica sends to 100 clients while the
 * other takes writes as fast as 32 connections give them, and the heap an open feed costs (200
 * feeds on an app in this process, opened from a child process, heap compared after a full GC).
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { connect } from 'node:net'
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { startRedis, startService } from './processes.js'
import { openSse } from '../test/support/sse-client.js'
import { botState } from '../test/fixtures/bot-state.js'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'

const LATENCY_WRITES = 1000
const FAN_OUT_CLIENTS = 100
const FAN_OUT_SECONDS = 10
const WRITERS = 32
const MEMORY_STREAMS = 200

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number
const now = (): string => new Date().toISOString().replace('Z', '000')
const put = async (url: string, id: string, stage = 'Q2'): Promise<void> => {
  const res = await fetch(`${url}/seller/state/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(botState({ contact_id: id, stage, last_interaction: now() })) })
  if (res.status >= 300) throw new Error(`PUT ${id}: ${res.status}`)
  await res.arrayBuffer()
}

async function metric (url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text()
  return text.split('\n').filter((line) => line.startsWith(name)).reduce((sum, line) => sum + Number(line.split(' ').pop()), 0)
}

async function latency (a: string, b: string): Promise<void> {
  const client = await openSse(`${b}/seller/active/events`)
  await client.waitFor((e) => e.event === 'ready')
  const delays: number[] = []
  for (let i = 0; i < LATENCY_WRITES; i++) {
    const from = client.events.length
    const id = `lat-${i % 100}`
    const started = performance.now()
    await put(a, id, i % 2 === 0 ? 'Q2' : 'Q3')
    const event = await client.waitFor((e) => e.event !== 'ready' && e.data.includes(`"contact_id":"${id}"`), 5000, from)
    delays.push(event.at - started)
  }
  client.close()
  delays.sort((x, y) => x - y)
  console.log(`PUT on replica A -> event on replica B, ${LATENCY_WRITES} writes one at a time: p50 ${percentile(delays, 0.5).toFixed(2)} ms, p99 ${percentile(delays, 0.99).toFixed(2)} ms, max ${delays[delays.length - 1]?.toFixed(2)} ms`)
}

/** A feed client that only counts bytes, so the load generator stays cheap. */
function rawFeed (port: number): { bytes: () => number, close: () => void } {
  let bytes = 0
  const socket = connect(port, '127.0.0.1')
  socket.write('GET /seller/active/events HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n')
  socket.on('data', (chunk: Buffer) => { bytes += chunk.length })
  socket.on('error', () => {})
  return { bytes: () => bytes, close: () => socket.destroy() }
}

/** Connections Redis has open (INFO clients), this bench's own included. */
async function redisClients (redis: Redis): Promise<number> {
  return Number(/connected_clients:(\d+)/.exec(await redis.info('clients'))?.[1])
}

async function fanOut (a: string, b: string, bPort: number, redis: Redis): Promise<void> {
  const connectionsBefore = await redisClients(redis)
  const clients = Array.from({ length: FAN_OUT_CLIENTS }, () => rawFeed(bPort))
  while (await metric(b, 'seller_state_feed_streams_open') < FAN_OUT_CLIENTS) await sleep(50)
  console.log(`Redis connections: ${connectionsBefore} with one feed open on B, ${await redisClients(redis)} with ${FAN_OUT_CLIENTS} (one XREAD reader per replica)`)
  const sentBefore = await metric(b, 'seller_state_feed_events_sent_total')
  const cutBefore = await metric(b, 'seller_state_feed_streams_cut_off_total')
  const until = Date.now() + FAN_OUT_SECONDS * 1000
  let writes = 0
  const started = Date.now()
  await Promise.all(Array.from({ length: WRITERS }, async (_, w) => {
    for (let i = 0; Date.now() < until; i++) {
      await put(a, `fan-${w}-${i % 20}`, i % 2 === 0 ? 'Q1' : 'Q4')
      writes++
    }
  }))
  await sleep(1000) // the last events reach the clients
  const seconds = (Date.now() - started) / 1000
  const sent = await metric(b, 'seller_state_feed_events_sent_total') - sentBefore
  const cut = await metric(b, 'seller_state_feed_streams_cut_off_total') - cutBefore
  const received = clients.reduce((sum, client) => sum + client.bytes(), 0)
  for (const client of clients) client.close()
  console.log(`fan-out: ${writes} writes on A in ${seconds.toFixed(1)} s (${Math.round(writes / seconds)}/s); replica B sent ${sent} events to ${FAN_OUT_CLIENTS} clients: ` +
    `${Math.round(sent / seconds)} events/s (${Math.round(sent / FAN_OUT_CLIENTS)} per client of ${writes} writes), ${(received / 1e6).toFixed(1)} MB received, ${cut} clients cut off`)
}

async function memory (redisUrl: string): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error('run with node --expose-gc')
  const app = await buildApp(loadConfig({ REDIS_URL: redisUrl, KEY_PREFIX: `bench-mem:${randomUUID()}:`, LOG_LEVEL: 'warn', SWEEP_INTERVAL_SECONDS: '0' }))
  await app.listen({ port: 0, host: '127.0.0.1' })
  const port = (app.server.address() as { port: number }).port
  // One feed first: the reader loop and its connection are there before the measure.
  const warm = rawFeed(port)
  await sleep(500)
  const heapNow = async (): Promise<number> => {
    for (let i = 0; i < 3; i++) {
      gc()
      await sleep(100)
    }
    return process.memoryUsage().heapUsed
  }
  const before = await heapNow()
  // The clients live in another process: only the service's side is in this heap.
  const clients = spawn(process.execPath, ['-e', `
    const net = require('node:net')
    for (let i = 0; i < ${MEMORY_STREAMS}; i++) {
      const s = net.connect(${port}, '127.0.0.1')
      s.write('GET /seller/active/events HTTP/1.1\\r\\nHost: bench\\r\\nAccept: text/event-stream\\r\\n\\r\\n')
      s.on('data', () => {})
    }
    setInterval(() => {}, 1000)
  `], { stdio: 'ignore' })
  while (((await app.changeFeed.metrics.open.get()).values[0]?.value ?? 0) < MEMORY_STREAMS + 1) await sleep(50)
  const after = await heapNow()
  clients.kill('SIGKILL')
  await once(clients, 'exit')
  warm.close()
  console.log(`memory: ${MEMORY_STREAMS} open feeds add ${((after - before) / 1e6).toFixed(2)} MB of heap after a full GC: ${((after - before) / MEMORY_STREAMS / 1024).toFixed(1)} KB per feed`)
  await app.close()
}

async function main (): Promise<void> {
  console.log(`load average at the start: ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')} (2 cores shared with other work)`)
  const redis = await startRedis()
  try {
    const prefix = `bench-feed:${randomUUID()}:`
    const a = await startService(redis.url, prefix)
    const b = await startService(redis.url, prefix)
    try {
      await latency(a.url, b.url)
      const info = new Redis(redis.url)
      await fanOut(a.url, b.url, b.port, info)
      info.disconnect()
    } finally {
      await a.stop()
      await b.stop()
    }
    await memory(redis.url)
  } finally {
    await redis.stop()
  }
}

await main()
