/**
 * A private Redis Cluster for a test file: redis-server processes on loopback joined by
 * `redis-cli --cluster create`, stopped by PID (and killed when the test process exits, as
 * redis-server.ts kills its servers). `reshard` moves every slot of one master to another with
 * `redis-cli --cluster reshard`, as an operator scales a cluster in.
 */
import { execFile, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { rmSync } from 'node:fs'
import { promisify } from 'node:util'
import { Cluster, Redis, type ClusterOptions } from 'ioredis'
import { CLUSTER_BUS_OFFSET, freeClusterPort } from './free-port.js'
import { replicaInSync, REPLICATION_ARGS, serverDir, spawnRedisServer } from './redis-server.js'

const HOST = '127.0.0.1'
const SLOTS = 16384
const SETTLE_TIMEOUT_MS = 30_000
const run = promisify(execFile)
// A reshard prints a line per key batch it moves.
const redisCli = async (args: string[]): Promise<void> => { await run('redis-cli', args, { maxBuffer: 64 * 1024 * 1024 }) }

export interface ClusterNode {
  id: string
  port: number
}

export interface RedisClusterOptions {
  masters?: number
  replicasPerMaster?: number
  /** cluster-node-timeout: how long a node may not answer before it counts as failed (failover tests set it low). */
  nodeTimeoutMs?: number
}

export interface TestRedisCluster {
  /** The seed list for REDIS_CLUSTER_NODES: `127.0.0.1:port,...`, every node. */
  nodes: string
  ports: number[]
  /**
   * The masters as created. One that reshard empties turns into a replica of the master that took
   * its last slot (Redis 7's cluster-allow-replica-migration).
   */
  masters: ClusterNode[]
  /** A new ioredis client of the cluster, seeded with every node. */
  client: (options?: ClusterOptions) => Cluster
  /** How many slots each master owns now, by port (masters only). */
  slotCounts: () => Promise<Map<number, number>>
  /** The port of the master that owns this key's slot now. */
  ownerOf: (key: string) => Promise<number>
  /** SIGKILL of every node, then their directories removed. */
  stop: () => Promise<void>
  /** SIGKILL of one node (a master's failure, for the failover tests). */
  kill: (port: number) => Promise<void>
  /** Starts a killed node again from its nodes.conf, its data gone: it rejoins, as a replica if it was failed over. */
  restart: (port: number) => Promise<void>
  /** Moves every slot of the master on `fromPort` to the master on `toPort`, keys included. */
  reshard: (fromPort: number, toPort: number) => Promise<void>
}

interface NodeView {
  id: string
  port: number
  master: boolean
  /** Slot ranges as CLUSTER NODES prints them, migrations (`[...]`) left out. */
  ranges: string[]
}

/** `5461-10922` or `42` as its first and last slot. */
function bounds (range: string): [number, number] {
  const [first, last = first] = range.split('-').map(Number) as [number, number?]
  return [first, last]
}

function slotCount (ranges: string[]): number {
  return ranges.map(bounds).reduce((sum, [first, last]) => sum + last - first + 1, 0)
}

/** What one node believes: its cluster_state and every node's slots. */
async function viewFrom (port: number): Promise<{ ok: boolean, nodes: NodeView[] }> {
  const redis = new Redis({ host: HOST, port, lazyConnect: true, maxRetriesPerRequest: 0 })
  try {
    const [info, lines] = await Promise.all([redis.cluster('INFO'), redis.cluster('NODES')]) as [string, string]
    const nodes = lines.trim().split('\n').map((line) => {
      const [id, address, flags, , , , , , ...slots] = line.split(' ') as [string, string, string, ...string[]]
      return {
        id,
        port: Number(/:(\d+)@/.exec(address)?.[1]),
        master: flags.split(',').includes('master'),
        ranges: slots.filter((slot) => !slot.startsWith('['))
      }
    }).sort((a, b) => a.port - b.port)
    return { ok: info.includes('cluster_state:ok'), nodes }
  } finally {
    redis.disconnect()
  }
}

/** Waits until every live node says cluster_state:ok and all agree on the roles and on who owns every slot. */
async function settle (ports: number[]): Promise<NodeView[]> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS
  for (;;) {
    const views = await Promise.all(ports.map(async (port) => await viewFrom(port).catch(() => null)))
    const slotMaps = views.map((view) => JSON.stringify(view?.nodes.map(({ id, master, ranges }) => [id, master, ranges])))
    const [first] = views
    if (first != null && views.every((view) => view?.ok === true) && slotMaps.every((map) => map === slotMaps[0]) &&
      slotCount(first.nodes.flatMap((node) => node.ranges)) === SLOTS) return first.nodes
    if (Date.now() > deadline) throw new Error(`the cluster on ports ${ports.join(',')} did not settle in ${SETTLE_TIMEOUT_MS} ms`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

async function killNode (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.ref() // keep the test process alive until the node is gone
  child.kill('SIGKILL')
  await exited
}

const START_ATTEMPTS = 3

/** Free ports for the nodes, none of them another node's cluster bus port. */
async function clusterPorts (count: number): Promise<number[]> {
  const ports: number[] = []
  while (ports.length < count) {
    const port = await freeClusterPort()
    const taken = new Set(ports.flatMap((p) => [p, p + CLUSTER_BUS_OFFSET]))
    if (!taken.has(port) && !taken.has(port + CLUSTER_BUS_OFFSET)) ports.push(port)
  }
  return ports
}

export async function startRedisCluster ({ masters = 3, replicasPerMaster = 0, nodeTimeoutMs = 15_000 }: RedisClusterOptions = {}): Promise<TestRedisCluster> {
  const dirs = new Map<number, string>()
  const spawnNode = async (port: number): Promise<ChildProcess> => await spawnRedisServer([
    '--port', String(port), '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(nodeTimeoutMs),
    '--dir', dirs.get(port) as string, '--save', '', '--appendonly', 'no', ...REPLICATION_ARGS
  ])
  // A port free when chosen may be taken before its node binds it (a client's outgoing
  // connection, another test's server): the nodes are started again on other ports.
  let ports: number[] = []
  let children = new Map<number, ChildProcess>()
  for (let attempt = 1; children.size === 0; attempt++) {
    ports = await clusterPorts(masters * (1 + replicasPerMaster))
    for (const port of ports) dirs.set(port, serverDir())
    const started = await Promise.allSettled(ports.map(async (port) => [port, await spawnNode(port)] as const))
    const failed = started.find((result) => result.status === 'rejected')
    const running = started.flatMap((result) => result.status === 'fulfilled' ? [result.value] : [])
    if (failed === undefined) children = new Map(running)
    else {
      await Promise.all(running.map(async ([, child]) => await killNode(child)))
      if (attempt === START_ATTEMPTS) throw failed.reason
    }
  }
  await redisCli(['--cluster', 'create', ...ports.map((port) => `${HOST}:${port}`),
    '--cluster-replicas', String(replicasPerMaster), '--cluster-yes'])
  const live = (): number[] => [...children.keys()]
  const nodes = await settle(live())
  // A replica that has not finished its first sync holds nothing, and will not fail over.
  await Promise.all(nodes.filter((node) => !node.master).map(async (node) => await replicaInSync(node.port)))
  const idOf = (port: number): string => nodes.find((node) => node.port === port)?.id ?? ''
  const slotCounts = async (): Promise<Map<number, number>> => {
    const view = await settle(live())
    return new Map(view.filter((node) => node.master).map((node) => [node.port, slotCount(node.ranges)]))
  }

  return {
    nodes: ports.map((port) => `${HOST}:${port}`).join(','),
    ports,
    client: (options) => new Cluster(ports.map((port) => ({ host: HOST, port })), options),
    masters: nodes.filter((node) => node.master).map(({ id, port }) => ({ id, port })),
    slotCounts,
    async ownerOf (key) {
      const [port] = live() as [number]
      const redis = new Redis({ host: HOST, port, lazyConnect: true })
      const slot = await redis.cluster('KEYSLOT', key).finally(() => redis.disconnect()) as number
      const owner = (await settle(live())).find((node) => node.master && node.ranges.map(bounds).some(([first, last]) => first <= slot && slot <= last))
      return owner?.port ?? -1
    },
    async stop () {
      await Promise.all([...children.values()].map(killNode))
      children.clear()
      for (const dir of dirs.values()) rmSync(dir, { recursive: true, force: true })
    },
    async kill (port) {
      const child = children.get(port)
      children.delete(port)
      if (child !== undefined) await killNode(child)
    },
    async restart (port) {
      if (!children.has(port)) children.set(port, await spawnNode(port))
    },
    async reshard (fromPort, toPort) {
      const slots = (await slotCounts()).get(fromPort) ?? 0
      if (slots === 0) return
      await redisCli(['--cluster', 'reshard', `${HOST}:${fromPort}`, '--cluster-from', idOf(fromPort), '--cluster-to', idOf(toPort),
        '--cluster-slots', String(slots), '--cluster-yes'])
      await settle(live())
    }
  }
}
