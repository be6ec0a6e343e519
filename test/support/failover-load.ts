/**
 * PUT load through a failover, and what it cost: 8 clients each create contacts one after the
 * other, each write retried with its Idempotency-Key until acknowledged (as the bot does), while
 * the test kills a primary. Every write goes to a contact of its own, so that reading every
 * contact back afterwards finds every acknowledged write that was lost, not only the last one.
 */
import { numberedWrite } from '../fixtures/bot-state.js'
import type { Answer, KeepAliveClient } from './keep-alive-client.js'

const CLIENTS = 8
// Sooner than Retry-After asks, to see the moment writes succeed again; a bounded number of tries.
const RETRY_PAUSE_MS = 50
const MAX_TRIES = 1000

const sleep = async (ms: number): Promise<void> => await new Promise((resolve) => setTimeout(resolve, ms))

export interface FailoverRun {
  /** Answers by status ('503 without Retry-After' apart, 'error ...' for a network error). */
  statuses: Map<string, number>
  /** The acknowledged document and ETag of every contact written. */
  acknowledged: Map<string, { body: string, etag: string }>
  /** ms from the kill until the first write sent after it was acknowledged; null if none was. */
  firstWriteMs: number | null
  /** ms from the kill until the last answer that was not a 2xx: from then on every write succeeded. */
  allWritesMs: number | null
  /** The slowest answer, in ms. */
  slowestMs: number
}

export interface FailoverLoadOptions {
  http: KeepAliveClient
  loadBeforeMs: number
  loadAfterRecoveryMs: number
  /** Gives up waiting for a write to succeed after the kill this long. */
  recoveryTimeoutMs: number
  /** The failure: kills the primary (and may bring the node back). */
  kill: () => Promise<void>
  /** After the kill: restores redundancy once the failover is done (a killed node started again). */
  afterKill?: () => Promise<void>
}

/** An answer as the status table counts it: a 503 without Retry-After apart. */
function statusLabel (answer: Answer): string {
  return answer.status === 503 && answer.headers['retry-after'] === undefined ? '503 without Retry-After' : String(answer.status)
}

/** What a request may answer during a failover: 2xx, 503 with Retry-After, 412/409 of a retried conditional write. */
export const allowedDuringFailover = (label: string): boolean => /^(2\d\d|503|409|412)$/.test(label)

export async function runFailoverLoad (opts: FailoverLoadOptions): Promise<FailoverRun> {
  const statuses = new Map<string, number>()
  const acknowledged = new Map<string, { body: string, etag: string }>()
  let killedAt: number | null = null
  let recoveredAt: number | null = null
  let lastFailureAt: number | null = null
  let slowestMs = 0
  const state = { running: true }

  const writer = async (name: string): Promise<void> => {
    for (let seq = 0; state.running; seq++) {
      const contactId = `${name}-w${seq}`
      const body = numberedWrite(contactId, seq)
      for (let tries = 1; ; tries++) {
        const sentAt = Date.now()
        const answer = await opts.http.send('PUT', `/seller/state/${contactId}`, body, { 'content-type': 'application/json', 'idempotency-key': `${contactId}-put` })
          .catch((err: NodeJS.ErrnoException) => `error ${err.code ?? err.message}`)
        const label = typeof answer === 'string' ? answer : statusLabel(answer)
        statuses.set(label, (statuses.get(label) ?? 0) + 1)
        if (typeof answer !== 'string') slowestMs = Math.max(slowestMs, answer.ms)
        if (typeof answer !== 'string' && answer.status < 300) {
          acknowledged.set(contactId, { body: answer.body, etag: String(answer.headers.etag) })
          if (killedAt !== null && recoveredAt === null && sentAt >= killedAt) recoveredAt = Date.now()
          break
        }
        lastFailureAt = Date.now()
        if (tries === MAX_TRIES || !state.running) break
        await sleep(RETRY_PAUSE_MS)
      }
    }
  }

  const load = Promise.all(Array.from({ length: CLIENTS }, async (_, i) => await writer(`client-${i}`)))
  try {
    await sleep(opts.loadBeforeMs)
    await opts.kill()
    killedAt = Date.now()
    await opts.afterKill?.()
    // Until every write has succeeded for loadAfterRecoveryMs (a cluster takes writes again shard by shard).
    const settled = (): boolean => recoveredAt !== null && Date.now() - Math.max(recoveredAt, lastFailureAt ?? 0) >= opts.loadAfterRecoveryMs
    while (!settled() && Date.now() - killedAt < opts.recoveryTimeoutMs) await sleep(50)
  } finally {
    state.running = false
    await load
  }
  const since = (at: number | null): number | null => at === null || killedAt === null ? null : Math.max(0, at - killedAt)
  return { statuses, acknowledged, firstWriteMs: since(recoveredAt), allWritesMs: recoveredAt === null ? null : since(lastFailureAt), slowestMs }
}

/** How many acknowledged writes the service no longer returns as acknowledged. */
export async function countLost (http: KeepAliveClient, acknowledged: Map<string, { body: string, etag: string }>): Promise<{ lost: number, examples: string[] }> {
  let lost = 0
  const examples: string[] = []
  for (const [contactId, expected] of acknowledged) {
    const now = await http.send('GET', `/seller/state/${contactId}`)
    if (now.status === 200 && now.body === expected.body && now.headers.etag === expected.etag) continue
    lost++
    if (examples.length < 5) examples.push(`${contactId}: GET ${now.status}`)
  }
  return { lost, examples }
}

/** One row of the failover table. */
export function tableRow (mode: string, replicasAck: number, run: FailoverRun, lost: number): string {
  const statuses = [...run.statuses].sort().map(([label, count]) => `${label}: ${count}`).join(', ')
  return `| ${mode} | ${replicasAck} | ${statuses} | ${run.firstWriteMs ?? 'never'} ms | ${run.allWritesMs ?? 'never'} ms | ${run.acknowledged.size} | ${lost} | ${run.slowestMs.toFixed(0)} ms |`
}

export const TABLE_HEADER = '| mode | REDIS_MIN_REPLICAS_ACK | answers by status | first write acknowledged after the kill | every write acknowledged after | writes acknowledged | acknowledged writes lost | slowest answer |'
