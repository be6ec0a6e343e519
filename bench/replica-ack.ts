/**
 * `npm run bench:replica-ack`: what REDIS_MIN_REPLICAS_ACK=1 costs a PUT. A primary and one
 * replica (redis-server on loopback, appendfsync always as docker-compose.yml runs Redis), the
 * built service on the primary with 0 then 1, and the bench's PUT case (`npm run bench`'s: 50
 * connections over 10,000 contacts) against each, in turn, twice, to see the noise of a shared machine.
 * Also Redis's own time per write script (INFO commandstats, evalsha and eval): the ceiling of
 * writes per second of one primary, whatever the number of service replicas in front of it.
 */
import { writeFile } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { botCases } from './bot-cases.js'
import { startService } from './processes.js'
import { loadSettings } from './settings.js'
import { spawnRedisServer, serverDir } from '../test/support/redis-server.js'
import { freePort } from '../test/support/free-port.js'

const RESULTS = fileURLToPath(new URL('results/', import.meta.url))
const ROUNDS = 2

async function startNode (port: number, primaryPort: number | null): Promise<void> {
  await spawnRedisServer(['--port', String(port), '--dir', serverDir(), '--save', '', '--appendonly', 'yes', '--appendfsync', 'always',
    ...(primaryPort === null ? [] : ['--replicaof', '127.0.0.1', String(primaryPort)])])
}

async function main (): Promise<void> {
  const settings = loadSettings()
  const [primary, replica] = [await freePort(), await freePort()]
  await startNode(primary, null)
  await startNode(replica, primary)
  const admin = new Redis(primary)
  while (!/connected_slaves:1/.test(await admin.info('replication'))) await new Promise((resolve) => setTimeout(resolve, 100))

  const rows: Array<{ replicasAck: number, round: number, p50: number, p99: number, requestsPerSecond: number, failures: number, load: number }> = []
  for (let round = 1; round <= ROUNDS; round++) {
    for (const replicasAck of [0, 1]) {
      const service = await startService(`redis://127.0.0.1:${primary}`, `bench:ack${replicasAck}:`, { REDIS_MIN_REPLICAS_ACK: String(replicasAck) })
      try {
        const stats = await botCases(settings.botContacts, Date.now()).put(service.url, { connections: settings.connections, durationSeconds: settings.durationSeconds })
        rows.push({ replicasAck, round, p50: stats.p50, p99: stats.p99, requestsPerSecond: stats.requestsPerSecond, failures: stats.failures, load: loadavg()[0] ?? 0 })
        process.stderr.write(`REDIS_MIN_REPLICAS_ACK=${replicasAck}, round ${round}: PUT p50 ${stats.p50.toFixed(2)} ms, p99 ${stats.p99.toFixed(2)} ms, ` +
          `${stats.requestsPerSecond.toFixed(0)}/s, ${stats.failures} failed (load ${loadavg()[0]?.toFixed(2)})\n`)
      } finally {
        await service.stop()
      }
    }
  }
  // The write scripts are nearly all of the scripts run here (GETs and PINGs are not scripts).
  const stats = await admin.info('commandstats')
  admin.disconnect()
  const script = [...stats.matchAll(/^cmdstat_(evalsha|eval):calls=(\d+),usec=(\d+)/gm)].reduce((sum, [, , calls, usec]) =>
    ({ calls: sum.calls + Number(calls), usec: sum.usec + Number(usec) }), { calls: 0, usec: 0 })
  const usecPerWrite = script.usec / script.calls
  process.stderr.write(`Redis time per write script: ${usecPerWrite.toFixed(1)} µs over ${script.calls} scripts: at most ${Math.floor(1e6 / usecPerWrite)} writes/s per primary core\n`)
  await writeFile(`${RESULTS}replica-ack.json`, JSON.stringify({ date: new Date().toISOString(), settings, rows, redisUsecPerWrite: usecPerWrite, scripts: script.calls }, null, 2) + '\n')
  process.stdout.write('wrote bench/results/replica-ack.json\n')
}

process.once('SIGINT', () => process.exit(130))
await main()
