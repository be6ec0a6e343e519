/**
 * The test cluster itself: three masters that all own slots, a reshard that moves every slot of
 * one master (and its keys) to another, and a stop that leaves nothing listening.
 */
import t from 'tap'
import { connect } from 'node:net'
import { startRedisCluster } from './redis-cluster.js'

const KEYS = 300

async function refusesConnections (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => { socket.destroy(); resolve(false) })
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'))
  })
}

t.test('three masters share the slots; reshard moves all of one to another; stop leaves no node', async (t) => {
  const started = Date.now()
  const cluster = await startRedisCluster()
  const startMs = Date.now() - started
  t.teardown(() => cluster.stop())

  t.equal(cluster.masters.length, 3)
  t.same(cluster.nodes.split(','), cluster.ports.map((port) => `127.0.0.1:${port}`), 'the seed list names every node')
  for (const port of cluster.ports) t.ok(port < 55536, `bus port of ${port} is a port`)
  const before = await cluster.slotCounts()
  t.same([...before.keys()].sort(), cluster.masters.map((m) => m.port).sort())
  t.ok([...before.values()].every((slots) => slots > 5000), `every master owns slots: ${[...before.values()].join(', ')}`)
  t.equal([...before.values()].reduce((a, b) => a + b), 16384)

  const client = cluster.client()
  t.teardown(() => client.disconnect())
  await Promise.all(Array.from({ length: KEYS }, async (_, i) => await client.set(`k${i}`, `v${i}`)))

  const [from, to] = cluster.masters
  if (from === undefined || to === undefined) throw new Error('two masters expected')
  const reshardStarted = Date.now()
  await cluster.reshard(from.port, to.port)
  const reshardMs = Date.now() - reshardStarted
  const after = await cluster.slotCounts()
  t.equal(after.get(from.port) ?? 0, 0, 'the emptied master owns no slot')
  t.equal(after.get(to.port), (before.get(from.port) ?? 0) + (before.get(to.port) ?? 0), 'the other took them all')
  const values = await Promise.all(Array.from({ length: KEYS }, async (_, i) => await client.get(`k${i}`)))
  t.same(values, Array.from({ length: KEYS }, (_, i) => `v${i}`), 'every key moved with its slot')

  await cluster.stop()
  for (const port of cluster.ports) t.ok(await refusesConnections(port), `nothing listens on ${port} after stop`)
  t.comment(`figures: 3-master start ${startMs} ms; reshard of ${before.get(from.port)} slots (${KEYS} keys in the cluster) ${reshardMs} ms`)
})

t.test('replicas: one per master', async (t) => {
  const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 })
  t.teardown(() => cluster.stop())
  t.equal(cluster.ports.length, 6)
  t.equal(cluster.masters.length, 3, 'three of the six nodes are masters')
})
