/**
 * The private instance the hostile suite attacks: a redis-server of its own, logging every command
 * slower than 25 ms in its SLOWLOG, and the real service in a process whose heap is capped at
 * 448 MB (what the compose file's 512 MB container leaves it), with access control on.
 */
import { setPriority } from 'node:os'
import { Redis } from 'ioredis'
import type { Test } from 'tap'
import { privateRedis } from '../../helper.js'
import { startService, type ServiceProcess } from '../../support/service-process.js'
import { keepAliveClient } from '../../support/keep-alive-client.js'

export const READ_TOKEN = 'hostile-read-token-0123456789'
export const WRITE_TOKEN = 'hostile-write-token-0123456789'
export const SLOW_MICROSECONDS = 25_000
/** The client name of the test's own Redis connections: their commands are not the service's. */
export const ADMIN_CLIENT = 'hostile-admin'
export const EXPERIMENT_NICE = -10

export interface Target {
  service: ServiceProcess
  /** The test's own connection to the service's Redis. */
  admin: Redis
  redisUrl: string
  /** Sets the scheduling priority of the Redis process (nice value). */
  prioritizeRedis: (nice: number) => void
}

export async function startTarget (t: Test, env: Record<string, string> = {}): Promise<Target> {
  // The instance under attack is the experiment: the service, its Redis, the attacker and the
  // victim. Other work on the machine (other engineers' runs on the same two cores) is not: the
  // experiment's processes get a higher priority than it, as they would have on a machine of
  // their own. Set before the children are started, which inherit it with every thread.
  setPriority(EXPERIMENT_NICE)
  const server = await privateRedis(t)
  const admin = new Redis(server.url, { connectionName: ADMIN_CLIENT })
  t.teardown(() => admin.disconnect())
  const redisPid = Number(/process_id:(\d+)/.exec(await admin.info('server'))?.[1])
  const prioritizeRedis = (nice: number): void => setPriority(redisPid, nice)
  await admin.config('SET', 'slowlog-log-slower-than', String(SLOW_MICROSECONDS))
  await admin.config('SET', 'slowlog-max-len', '1024')
  await admin.slowlog('RESET')
  const service = await startService({
    REDIS_URL: server.url,
    API_KEYS: `read:${READ_TOKEN},write:${WRITE_TOKEN}`,
    NODE_OPTIONS: '--max-old-space-size=448',
    SWEEP_INTERVAL_SECONDS: '0',
    ...env
  })
  t.teardown(async () => {
    service.kill('SIGKILL')
    await service.exited
  })
  return { service, admin, redisUrl: server.url, prioritizeRedis }
}

export interface SlowEntry { ms: number, command: string, client: string }

/** The SLOWLOG entries of every client but the test's own. */
export async function slowCommands (admin: Redis): Promise<SlowEntry[]> {
  const entries = await admin.slowlog('GET', 1024) as Array<[number, number, number, string[], string, string]>
  return entries
    .filter((entry) => entry[5] !== ADMIN_CLIENT)
    .map(([, , micros, args, address, name]) => ({ ms: micros / 1000, command: args.slice(0, 2).join(' '), client: name || address }))
}

export async function usedMemory (admin: Redis): Promise<number> {
  const info = await admin.info('memory')
  return Number(/used_memory:(\d+)/.exec(info)?.[1])
}

export const authorized = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` })

/** A state of about 2 KB for contact `i`; every one has the same last_interaction. */
export function seededState (i: number, contactId = `tie-${i}`): string {
  return JSON.stringify({
    contact_id: contactId,
    location_id: `loc-${i % 10}`,
    current_question: i % 5,
    questions_answered: i % 5,
    is_qualified: false,
    stage: `Q${i % 5}`,
    condition: 'needs_minor_repairs',
    price_expectation: 150000 + i,
    motivation: 'relocating for work',
    urgency: 'medium',
    offer_accepted: null,
    timeline_acceptable: null,
    scheduling_offered: false,
    appointment_booked: false,
    appointment_id: null,
    conversation_history: Array.from({ length: 8 }, (_, k) => ({
      role: k % 2 === 0 ? 'user' : 'assistant',
      content: `Message ${k} of the conversation with seller ${i}: the roof is old but the kitchen was redone in 2019.`,
      timestamp: '2026-01-23T10:30:00.123456'
    })),
    extracted_data: { roof_age_years: 22 },
    last_interaction: '2026-01-23T10:30:00.123456',
    conversation_started: '2026-01-23T10:00:00',
    seller_name: `Seller ${i}`,
    property_address: `${i} Elm St, Tulsa, OK`
  })
}

/** PUTs `count` seeded states through the service, 16 at a time. */
export async function seed (url: string, count: number): Promise<void> {
  const client = keepAliveClient(url, 16)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++
      const answer = await client.send('PUT', `/seller/state/tie-${i}`, seededState(i), { 'content-type': 'application/json', ...authorized(WRITE_TOKEN) })
      if (answer.status !== 201 && answer.status !== 200) throw new Error(`seeding tie-${i}: ${answer.status} ${answer.body}`)
    }
  }
  await Promise.all(Array.from({ length: 16 }, worker))
  client.close()
}
