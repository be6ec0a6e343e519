/**
 * The built service on a 3-master Redis Cluster while slots move:
 * - `redis-cli --cluster reshard` moves every slot of one master to another while 8 clients PUT
 *   and PATCH their own contacts: every answer is a 2xx or a 503 with Retry-After, no
 *   acknowledged write is lost, and afterwards every state has exactly its index entries.
 * - A write to a bucket whose slot is half migrated (the state on the importing master, the
 *   indexes still on the migrating one): 503 with Retry-After, and nothing written.
 */
import t, { type Test } from 'tap'
import { Redis, type Cluster } from 'ioredis'
import { numberedWrite } from '../fixtures/bot-state.js'
import { startRedisCluster, type TestRedisCluster } from '../support/redis-cluster.js'
import { startService, type ServiceProcess } from '../support/service-process.js'
import { keepAliveClient, type Answer, type KeepAliveClient } from '../support/keep-alive-client.js'
import { scanConsistency } from '../support/consistency-scan.js'
import { createKeySpace, type KeySpace } from '../../src/redis/keys.js'
import { keyChanges, snapshotKeys } from '../support/redis-snapshot.js'

const CLIENTS = 8
const CONTACTS_PER_CLIENT = 5
const BUCKETS = 12
const KEY_PREFIX = 'reshard:'
const LOAD_AROUND_RESHARD_MS = 1000
// Sooner than Retry-After asks, to keep writing through the reshard; never more than this many tries.
const RETRY_PAUSE_MS = 50
const MAX_TRIES = 400
const STAGES_IN_PLAY = ['Q1', 'Q2', 'Q3', 'Q4']

const sleep = async (ms: number): Promise<void> => await new Promise((resolve) => setTimeout(resolve, ms))

interface ClusterService {
  cluster: TestRedisCluster
  service: ServiceProcess
  http: KeepAliveClient
  /** A client of the cluster outside the service, to inspect what it stored. */
  inspector: Cluster
  keys: KeySpace
}

async function clusterService (t: Test, env: Record<string, string> = {}): Promise<ClusterService> {
  const cluster = await startRedisCluster()
  t.teardown(() => cluster.stop())
  const service = await startService({
    REDIS_CLUSTER_NODES: cluster.nodes,
    REDIS_CLUSTER_BUCKETS: String(BUCKETS),
    KEY_PREFIX,
    LOG_LEVEL: 'warn',
    // Two cores run the cluster, the service and the clients: no load shedding's 503 here.
    MAX_EVENT_LOOP_DELAY_MS: '0',
    ...env
  }, { built: true })
  t.teardown(() => { service.kill('SIGKILL') })
  const http = keepAliveClient(service.url, CLIENTS)
  t.teardown(() => http.close())
  const inspector = cluster.client()
  t.teardown(() => inspector.disconnect())
  return { cluster, service, http, inspector, keys: createKeySpace(KEY_PREFIX, BUCKETS) }
}

/** An answer as the status table counts it: a 503 without Retry-After apart. */
function statusLabel (answer: Answer): string {
  return answer.status === 503 && answer.headers['retry-after'] === undefined ? '503 without Retry-After' : String(answer.status)
}

const ok = (label: string): boolean => /^2\d\d$/.test(label) || label === '503'

interface Acknowledged {
  body: string
  etag: string
}

/**
 * One client's writes to its own contacts until told to stop: a PUT first, then PUT and PATCH in
 * turn. Each write is retried with its Idempotency-Key until it is acknowledged, so that the
 * client knows which document each contact holds.
 */
async function writer (http: KeepAliveClient, name: string, acknowledged: Map<string, Acknowledged>, statuses: Map<string, number>, running: () => boolean): Promise<void> {
  const contacts = Array.from({ length: CONTACTS_PER_CLIENT }, (_, i) => `${name}-contact-${i}`)
  for (let seq = 0; running(); seq++) {
    const contactId = contacts[seq % contacts.length] as string
    const path = `/seller/state/${contactId}`
    const headers = { 'idempotency-key': `${name}-write-${seq}` }
    const send = acknowledged.has(contactId) && seq % 2 === 1
      ? async () => await http.send('PATCH', path, JSON.stringify({ stage: STAGES_IN_PLAY[seq % 4], extracted_data: { seq } }), { ...headers, 'content-type': 'application/merge-patch+json' })
      : async () => await http.send('PUT', path, numberedWrite(contactId, seq), { ...headers, 'content-type': 'application/json' })
    for (let tries = 1; ; tries++) {
      const answer = await send().catch((err: NodeJS.ErrnoException) => `error ${err.code ?? err.message}`)
      const label = typeof answer === 'string' ? answer : statusLabel(answer)
      statuses.set(label, (statuses.get(label) ?? 0) + 1)
      if (typeof answer !== 'string' && answer.status < 300) {
        // A replay answers as the first try did: the document this write stored, and its ETag.
        acknowledged.set(contactId, { body: answer.body, etag: String(answer.headers.etag) })
        break
      }
      if (tries === MAX_TRIES) throw new Error(`${name}: write ${seq} of ${contactId} not acknowledged after ${tries} tries (last: ${label})`)
      await sleep(RETRY_PAUSE_MS)
    }
  }
}

t.test('reshard under write load: 2xx or 503 with Retry-After, no acknowledged write lost, indexes exact', async (t) => {
  const { cluster, http, inspector, keys } = await clusterService(t)
  const owners = await Promise.all(Array.from({ length: BUCKETS }, async (_, i) => await cluster.ownerOf(keys.bucket(i).activeIndex)))
  t.equal(new Set(owners).size, 3, `the ${BUCKETS} buckets fall on all three masters (${owners.join(', ')})`)

  const acknowledged = new Map<string, Acknowledged>()
  const statuses = new Map<string, number>()
  let running = true
  const load = Promise.all(Array.from({ length: CLIENTS }, async (_, i) =>
    await writer(http, `client-${i}`, acknowledged, statuses, () => running)))
  await sleep(LOAD_AROUND_RESHARD_MS)
  const [from, to] = cluster.masters
  if (from === undefined || to === undefined) throw new Error('three masters expected')
  const slots = (await cluster.slotCounts()).get(from.port) ?? 0
  const reshardStarted = Date.now()
  await cluster.reshard(from.port, to.port)
  const reshardMs = Date.now() - reshardStarted
  await sleep(LOAD_AROUND_RESHARD_MS)
  running = false
  await load
  t.equal((await cluster.slotCounts()).get(from.port) ?? 0, 0, `every slot of ${from.port} moved to ${to.port}`)

  const table = [...statuses].sort().map(([label, count]) => `${label}: ${count}`).join(', ')
  t.comment(`answers by status: ${table}`)
  t.same([...statuses.keys()].filter((label) => !ok(label)), [], 'every answer is a 2xx or a 503 with Retry-After')
  const writes = [...statuses].filter(([label]) => /^2\d\d$/.test(label)).reduce((sum, [, count]) => sum + count, 0)
  t.ok(writes > CLIENTS * CONTACTS_PER_CLIENT, `${writes} writes acknowledged`)

  let lost = 0
  for (const [contactId, last] of acknowledged) {
    const now = await http.send('GET', `/seller/state/${contactId}`)
    const kept = now.status === 200 && now.body === last.body && now.headers.etag === last.etag
    if (!kept) lost++
    t.ok(kept, `${contactId} holds its last acknowledged write (GET ${now.status}, ETag ${String(now.headers.etag)}, expected ${last.etag})`)
  }
  t.equal(acknowledged.size, CLIENTS * CONTACTS_PER_CLIENT)

  const { states, problems } = await scanConsistency(inspector, KEY_PREFIX, BUCKETS)
  t.same(problems, [], 'every state has exactly its index entries, and no index a contact without a state')
  t.equal(states, CLIENTS * CONTACTS_PER_CLIENT)
  t.comment(`figures: reshard of ${slots} slots under ${CLIENTS} writers: ${reshardMs} ms; answers ${table}; ` +
    `writes acknowledged ${writes}; lost ${lost}`)
})

/** Another contact id in the same bucket as this one (a bucket holds many). */
function neighbour (keys: KeySpace, contactId: string): string {
  for (let i = 0; ; i++) {
    const id = `neighbour-${i}`
    if (keys.bucketOf(id) === keys.bucketOf(contactId)) return id
  }
}

t.test('a write to a half-migrated slot: 503 with Retry-After, nothing written', async (t) => {
  // No sweep: nothing but the requests below may write.
  const { cluster, http, inspector, keys } = await clusterService(t, { SWEEP_INTERVAL_SECONDS: '0' })
  const contactId = 'migrating-1'
  const created = await http.send('PUT', `/seller/state/${contactId}`, numberedWrite(contactId, 1), { 'content-type': 'application/json' })
  t.equal(created.status, 201)
  const stateKey = keys.bucket(keys.bucketOf(contactId)).state(contactId)
  const before = await snapshotKeys(inspector, KEY_PREFIX)

  // The slot's migration as redis-cli runs it, stopped after the state key moved.
  const sourcePort = await cluster.ownerOf(stateKey)
  const source = cluster.masters.find((node) => node.port === sourcePort)
  const target = cluster.masters.find((node) => node.port !== sourcePort)
  if (source === undefined || target === undefined) throw new Error('two masters expected')
  const connect = (port: number): Redis => {
    const node = new Redis(port)
    t.teardown(() => node.disconnect())
    return node
  }
  const [sourceNode, targetNode] = [connect(source.port), connect(target.port)]
  const thirdNodes = cluster.masters.filter((node) => node !== source && node !== target).map((node) => connect(node.port))
  const slot = await sourceNode.cluster('KEYSLOT', stateKey) as number
  await targetNode.cluster('SETSLOT', slot, 'IMPORTING', source.id)
  await sourceNode.cluster('SETSLOT', slot, 'MIGRATING', target.id)
  await sourceNode.migrate('127.0.0.1', target.port, '', 0, 5000, 'KEYS', stateKey)

  const patch = JSON.stringify({ stage: 'Q4' })
  const newcomer = neighbour(keys, contactId)
  const attempts: Array<[string, Promise<Answer>]> = [
    ['PUT of the migrating state', http.send('PUT', `/seller/state/${contactId}`, numberedWrite(contactId, 2), { 'content-type': 'application/json' })],
    ['PATCH of it', http.send('PATCH', `/seller/state/${contactId}`, patch, { 'content-type': 'application/merge-patch+json' })],
    ['DELETE of it', http.send('DELETE', `/seller/state/${contactId}`)],
    ['PUT of a new contact in the bucket', http.send('PUT', `/seller/state/${newcomer}`, numberedWrite(newcomer, 3), { 'content-type': 'application/json' })]
  ]
  for (const [what, answer] of attempts) {
    const { status, headers } = await answer
    t.equal(status, 503, `${what}: 503`)
    t.match(headers['retry-after'], /^\d+$/, `${what}: Retry-After`)
  }

  // The rest of the slot's keys follow, and every master learns its new owner.
  for (;;) {
    const rest = await sourceNode.cluster('GETKEYSINSLOT', slot, 100) as string[]
    if (rest.length === 0) break
    await sourceNode.migrate('127.0.0.1', target.port, '', 0, 5000, 'KEYS', ...rest)
  }
  // The importing master first, as redis-cli does: it then owns the slot whatever the others hear.
  for (const node of [targetNode, sourceNode, ...thirdNodes]) await node.cluster('SETSLOT', slot, 'NODE', target.id)
  await cluster.slotCounts() // waits until the masters agree
  t.equal(await cluster.ownerOf(stateKey), target.port, 'the slot moved')

  t.same(keyChanges(before, await snapshotKeys(inspector, KEY_PREFIX), keys), [], 'nothing was written by the refused requests')
  const read = await http.send('GET', `/seller/state/${contactId}`)
  t.equal(read.body, created.body, 'the state is the one written before')
  t.equal(read.headers.etag, created.headers.etag)
  t.equal((await http.send('GET', `/seller/state/${newcomer}`)).status, 404, 'the new contact was not created')
  const { problems } = await scanConsistency(inspector, KEY_PREFIX, BUCKETS)
  t.same(problems, [], 'its index entries are intact')
  const after = await http.send('PATCH', `/seller/state/${contactId}`, patch, { 'content-type': 'application/merge-patch+json' })
  t.equal(after.status, 200, 'the bucket takes writes again once the slot has moved')
})
