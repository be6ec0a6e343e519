/**
 * The built service on a Redis Cluster of three masters with a replica each: SIGKILL of one master
 * under PUT load from 8 clients, with REDIS_MIN_REPLICAS_ACK 0 and 1. The killed node is started
 * again once its replica has taken over (as a supervisor would restart it) and rejoins as that
 * one's replica. Every answer is a 2xx, a 503 with Retry-After or a 409/412, writes succeed again
 * without restarting the service, and with 1 no acknowledged write is lost; with 0 the loss is
 * counted and reported as it is.
 */
import t from 'tap'
import { startRedisCluster, type TestRedisCluster } from '../support/redis-cluster.js'
import { startService } from '../support/service-process.js'
import { keepAliveClient } from '../support/keep-alive-client.js'
import { allowedDuringFailover, countLost, runFailoverLoad, TABLE_HEADER, tableRow } from '../support/failover-load.js'

const LOAD_BEFORE_MS = 1500
const LOAD_AFTER_RECOVERY_MS = 1500
const RECOVERY_TIMEOUT_MS = 30_000
const FAILOVER_TIMEOUT_MS = 20_000
const NODE_TIMEOUT_MS = 1000
const COMMAND_TIMEOUT_MS = 1000
const SLOWEST_ALLOWED_MS = 5000

const sleep = async (ms: number): Promise<void> => await new Promise((resolve) => setTimeout(resolve, ms))

/** Waits until the surviving nodes agree on a map in which the killed master (listed, failed) owns nothing. */
async function failedOver (cluster: TestRedisCluster, killed: number): Promise<void> {
  const deadline = Date.now() + FAILOVER_TIMEOUT_MS
  for (;;) {
    const counts = await cluster.slotCounts().catch(() => null)
    if (counts !== null && (counts.get(killed) ?? 0) === 0) return
    if (Date.now() > deadline) throw new Error(`no replica took over from ${killed} in ${FAILOVER_TIMEOUT_MS} ms`)
    await sleep(100)
  }
}

const rows: string[] = []
t.teardown(() => { t.comment(['Cluster failover', TABLE_HEADER, ...rows].join('\n')) })

for (const replicasAck of [0, 1]) {
  t.test(`SIGKILL of a master under 8 writers, REDIS_MIN_REPLICAS_ACK=${replicasAck}`, async (t) => {
    const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: NODE_TIMEOUT_MS })
    t.teardown(() => cluster.stop())
    const service = await startService({
      REDIS_CLUSTER_NODES: cluster.nodes,
      REDIS_MIN_REPLICAS_ACK: String(replicasAck),
      REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS),
      KEY_PREFIX: 'failover:',
      LOG_LEVEL: 'warn',
      SWEEP_INTERVAL_SECONDS: '0',
      // Two cores run the cluster, the service and the clients: no load shedding's 503 here.
      MAX_EVENT_LOOP_DELAY_MS: '0'
    }, { built: true })
    t.teardown(() => { service.kill('SIGKILL') })
    const http = keepAliveClient(service.url, 8)
    t.teardown(() => http.close())
    t.equal((await http.send('GET', '/health/ready')).status, 200, 'ready on the cluster')

    const [victim] = cluster.masters
    if (victim === undefined) throw new Error('three masters expected')
    const run = await runFailoverLoad({
      http,
      loadBeforeMs: LOAD_BEFORE_MS,
      loadAfterRecoveryMs: LOAD_AFTER_RECOVERY_MS,
      recoveryTimeoutMs: RECOVERY_TIMEOUT_MS,
      kill: async () => await cluster.kill(victim.port),
      afterKill: async () => {
        await failedOver(cluster, victim.port)
        await cluster.restart(victim.port)
      }
    })
    const { lost, examples } = await countLost(http, run.acknowledged)
    rows.push(tableRow('Cluster', replicasAck, run, lost))
    t.comment(rows.at(-1) as string)

    const unexpected = [...run.statuses.keys()].filter((label) => !allowedDuringFailover(label))
    t.same(unexpected, [], 'every answer is a 2xx, a 503 with Retry-After, or a 409/412')
    if (unexpected.length > 0) t.comment(service.logLines().filter((line) => Number(line.level) >= 50).slice(0, 3).map((line) => JSON.stringify(line.err ?? line.msg)).join('\n'))
    t.ok(run.slowestMs < SLOWEST_ALLOWED_MS, `no answer took more than ${SLOWEST_ALLOWED_MS} ms (slowest ${run.slowestMs.toFixed(0)} ms)`)
    t.not(run.allWritesMs, null, 'writes to every shard succeed again, the service never restarted')
    t.equal((await http.send('GET', '/health/ready')).status, 200, 'the same service process is ready again')
    if (replicasAck > 0) t.equal(lost, 0, `no acknowledged write lost (${run.acknowledged.size} read back)${examples.length > 0 ? `: ${examples.join(', ')}` : ''}`)
    else t.comment(`acknowledged writes lost with REDIS_MIN_REPLICAS_ACK=0: ${lost} of ${run.acknowledged.size}${examples.length > 0 ? ` (${examples.join(', ')})` : ''}`)
  })
}
