/**
 * The victim of the hostile suite: the bot's GET of one state every 50 ms, on a keep-alive
 * connection of its own, in a worker thread of its own. The worker keeps the measurement apart
 * from the attackers, which run on the test's main thread and would otherwise delay the victim's
 * own timers and callbacks and pass their lag off as the service's.
 */
import { Worker } from 'node:worker_threads'
import { once } from 'node:events'
import { percentile } from '../../../bench/measure.js'

export interface VictimReport {
  requests: number
  /** Answers by status ('0' for a network error or a timeout). */
  statuses: Record<string, number>
  p50: number
  p99: number
  max: number
}

const PERIOD_MS = 50

// Plain JavaScript: an eval'd worker gets neither the test's TypeScript loader nor ES modules.
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const http = require('node:http')
const { performance } = require('node:perf_hooks')
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
const samples = []
let stopping = false
parentPort.on('message', () => { stopping = true })
const get = () => new Promise((resolve) => {
  const started = performance.now()
  const req = http.request(workerData.url, { agent, headers: workerData.headers }, (res) => {
    res.resume()
    res.on('end', () => resolve([res.statusCode, performance.now() - started]))
  })
  req.on('error', () => resolve([0, performance.now() - started]))
  req.setTimeout(10000, () => req.destroy(new Error('timeout')))
  req.end()
})
;(async () => {
  let next = performance.now()
  while (!stopping) {
    samples.push(await get())
    next += ${PERIOD_MS}
    const wait = next - performance.now()
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    else next = performance.now()
  }
  agent.destroy()
  parentPort.postMessage(samples)
})()
`

export interface Victim {
  stop: () => Promise<VictimReport>
}

/** Starts GETting `url` every 50 ms with these headers until stopped. */
export function startVictim (url: string, headers: Record<string, string>): Victim {
  const worker = new Worker(SOURCE, { eval: true, workerData: { url, headers } })
  const samples = once(worker, 'message') as Promise<[Array<[number, number]>]>
  return {
    async stop () {
      worker.postMessage('stop')
      const [answers] = await samples
      await worker.terminate()
      const latencies = answers.map(([, ms]) => ms).sort((a, b) => a - b)
      const statuses: Record<string, number> = {}
      for (const [status] of answers) statuses[status] = (statuses[status] ?? 0) + 1
      return {
        requests: answers.length,
        statuses,
        p50: percentile(latencies, 0.5),
        p99: percentile(latencies, 0.99),
        max: latencies[latencies.length - 1] ?? Number.NaN
      }
    }
  }
}
