/**
 * `npm run move-to-cluster` from a private redis-server, filled through the service, to a private
 * 3-master cluster: the service on the cluster then answers every read as the single node did.
 * A second run changes nothing, a contact changed in the cluster is a named conflict and stays,
 * and a run killed midway finishes when run again. Exit codes: 2 for a bad argument, 1 for a
 * failure (test/scripts/move-to-cluster.test.ts checks every argument).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { createKeySpace } from '../../src/redis/keys.js'
import { startRedisServer } from '../support/redis-server.js'
import { startRedisCluster } from '../support/redis-cluster.js'
import { scanKeys } from '../support/scan-keys.js'
import { pythonJson, stateDocument } from '../../bench/state-doc.js'
import { listingContactId } from '../../bench/populate.js'
import { populateThroughScripts } from '../../bench/populate-scripts.js'
import { USAGE } from '../../scripts/move-arguments.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const BUCKETS = 12
const CONTACTS = 120
const RESUME_CONTACTS = 1000

const single = await startRedisServer()
const cluster = await startRedisCluster()
t.teardown(async () => { await Promise.all([cluster.stop(), single.stop()]) })
const source = new Redis(single.url)
const target = cluster.client()
t.teardown(() => { source.disconnect(); target.disconnect() })

const quiet = { LOG_LEVEL: 'silent', MAX_EVENT_LOOP_DELAY_MS: '0', SWEEP_INTERVAL_SECONDS: '0' }

async function appOn (mode: 'single' | 'cluster', prefix: string): Promise<FastifyInstance> {
  const where = mode === 'single' ? { REDIS_URL: single.url } : { REDIS_CLUSTER_NODES: cluster.nodes, REDIS_CLUSTER_BUCKETS: String(BUCKETS) }
  const app = await buildApp(loadConfig({ ...quiet, ...where, KEY_PREFIX: prefix }))
  t.teardown(() => app.close())
  await app.ready()
  return app
}

interface Run { code: number | null, stdout: string, stderr: string }

/** The tool, from the private server to the private cluster; `extra` adds or overrides arguments. */
function startMove (prefix: string, extra: string[] = []): ChildProcess {
  return spawn(process.execPath, ['--import=@tapjs/typescript/import', 'scripts/move-to-cluster.ts',
    '--from', single.url, '--to', cluster.nodes, '--prefix', prefix, '--buckets', String(BUCKETS), ...extra],
  { cwd: ROOT, env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1' }, stdio: ['ignore', 'pipe', 'pipe'] })
}

async function move (prefix: string, extra: string[] = []): Promise<Run> {
  const child = startMove(prefix, extra)
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const [code] = await once(child, 'exit') as [number | null]
  return { code, stdout, stderr }
}

const countsLine = (states: number, records: number, skipped: number, conflicts: number): RegExp =>
  new RegExp(`^moved ${states} states and ${records} idempotency records; skipped ${skipped} already there; conflicts ${conflicts}; \\d+\\.\\d s\n$`)

/** Every key of the prefix in the cluster with its value (DUMP), the sweep's lock aside. */
async function clusterSnapshot (prefix: string): Promise<Map<string, string>> {
  const keys = (await scanKeys(target, `${prefix}*`)).filter((key) => !key.startsWith(`${prefix}lock:`)).sort()
  const values = await Promise.all(keys.map(async (key) => (await target.dumpBuffer(key)).toString('hex')))
  return new Map(keys.map((key, i) => [key, values[i] as string]))
}

/** What a client sees of a contact: status, ETag and body. */
async function read (app: FastifyInstance, id: string): Promise<{ status: number, etag: unknown, body: string }> {
  const response = await app.inject({ url: `/seller/state/${id}` })
  return { status: response.statusCode, etag: response.headers.etag, body: response.body }
}

/** The dashboard's views: every listing page (expires_at aside: the cluster's expiry is computed again from the TTL), a filter, the summary. */
async function dashboard (app: FastifyInstance): Promise<unknown> {
  const pages = []
  for (let cursor = ''; ;) {
    const body = (await app.inject({ url: `/seller/active?page_size=200${cursor === '' ? '' : `&cursor=${cursor}`}` })).json()
    pages.push({ ...body, conversations: body.conversations.map(({ expires_at: _, ...row }: Record<string, unknown>) => row) })
    if (body.next_cursor === null) break
    cursor = body.next_cursor
  }
  const filtered = (await app.inject({ url: '/seller/active?stage=Q2&location_id=loc-02' })).json().total_count
  return { pages, filtered, summary: (await app.inject({ url: '/seller/active/summary' })).json() }
}

t.test('a data set written through the service reads the same on the cluster; a second run changes nothing; a conflict stays', async (t) => {
  const prefix = 'seller:'
  const app = await appOn('single', prefix)
  const now = Date.now()
  const ids = Array.from({ length: CONTACTS }, (_, i) => `mv-${i}`)
  const replay = { method: 'PUT' as const, url: '/seller/state/mv-7', headers: { 'content-type': 'application/json', 'idempotency-key': 'sms-7' }, payload: pythonJson(stateDocument('mv-7', 7, now)) }
  for (const [i, id] of ids.entries()) {
    const headers = { 'content-type': 'application/json', ...(i % 3 === 0 ? { 'idempotency-key': `sms-${i}` } : {}) }
    const put = await app.inject({ method: 'PUT', url: `/seller/state/${id}`, headers, payload: pythonJson(stateDocument(id, i, now)) })
    t.equal(put.statusCode, 201, id)
  }
  const patched = await app.inject({ method: 'PATCH', url: '/seller/state/mv-9', headers: { 'content-type': 'application/merge-patch+json', 'idempotency-key': 'sms-9b' }, payload: '{"seller_name": "Renamed"}' })
  t.equal(patched.statusCode, 200)
  t.equal((await app.inject({ method: 'DELETE', url: '/seller/state/mv-11' })).statusCode, 204)
  const first = await app.inject(replay)
  await source.persist(`${prefix}state:mv-5`) // a state without TTL keeps none
  await source.set(`${prefix}state:pickle-1`, '\x80\x04pickled') // the prototype's value
  await source.hset(`${prefix}state:odd-1`, 'note', 'made by hand') // a hash not ours: copied as it is, not indexed
  ids.push('odd-1')

  const before = new Map(await Promise.all(ids.map(async (id) => [id, await read(app, id)] as const)))
  const views = await dashboard(app)
  // Every third PUT, the PATCH and the replayed PUT carried a key.
  const records = Math.ceil(CONTACTS / 3) + 2
  t.equal((await scanKeys(source, `${prefix}idempotency:*`)).length, records)

  const run = await move(prefix)
  t.equal(run.code, 0, run.stderr)
  t.match(run.stdout, countsLine(CONTACTS, records, 0, 0), 'every state but the deleted one, and the hand-made hash')
  t.match(run.stderr, /skipped 1 states that are still the Python prototype's pickles: run python -m seller_state\.migrate_prototype/)
  t.match(run.stderr, /1 states copied are not documents the service can read: copied as they are, not indexed/)

  const onCluster = await appOn('cluster', prefix)
  for (const id of ids) t.same(await read(onCluster, id), before.get(id), id)
  t.same(await dashboard(onCluster), views, 'listing pages, a filtered total and the summary are the same')
  const again = await onCluster.inject(replay)
  t.same([again.statusCode, again.headers.etag, again.body], [first.statusCode, first.headers.etag, first.body], 'a replayed Idempotency-Key answers as before')
  t.same(await onCluster.indexMaintenance.sweep(), { expired: 0, ghosts: 0, orphans: 0, prototypeStates: 0 }, 'every state is indexed, and nothing else')

  const keys = createKeySpace(prefix, BUCKETS)
  t.equal(await target.pttl(keys.of('mv-5').state('mv-5')), -1, 'no TTL stays no TTL')
  const [sourceTtl, clusterTtl] = [await source.pttl(`${prefix}state:mv-3`), await target.pttl(keys.of('mv-3').state('mv-3'))]
  t.ok(clusterTtl > 0 && Math.abs(clusterTtl - sourceTtl) < 10_000, `remaining TTL kept (${sourceTtl} -> ${clusterTtl} ms)`)
  t.ok(await target.pttl(keys.of('mv-3').idempotency('mv-3', 'sms-3')) > 0, 'a record keeps its TTL')

  const snapshot = await clusterSnapshot(prefix)
  const second = await move(prefix)
  t.equal(second.code, 0, second.stderr)
  t.match(second.stdout, countsLine(0, 0, CONTACTS + records, 0))
  t.same(await clusterSnapshot(prefix), snapshot, 'the second run changed no key')

  const newer = pythonJson({ ...stateDocument('mv-8', 8, now), seller_name: 'Written on the cluster' })
  t.equal((await onCluster.inject({ method: 'PUT', url: '/seller/state/mv-8', headers: { 'content-type': 'application/json' }, payload: newer })).statusCode, 200)
  const third = await move(prefix)
  t.equal(third.code, 0, third.stderr)
  t.match(third.stdout, countsLine(0, 0, CONTACTS - 1 + records, 1))
  t.match(third.stderr, /conflict: mv-8: the cluster holds another version \(written .*, the cluster's is newer\); left as it is/)
  t.equal((await read(onCluster, 'mv-8')).body, newer, 'the cluster keeps its version')
})

t.test('a run killed midway finishes when run again', async (t) => {
  const prefix = 'resume:'
  await populateThroughScripts(source, createKeySpace(prefix), 0, RESUME_CONTACTS, Date.now())
  const keys = createKeySpace(prefix, BUCKETS)
  const copied = async (): Promise<number> => (await scanKeys(target, `${prefix}{*}:state:*`)).length

  // Small batches, so that the kill lands while keys are still being copied.
  const child = startMove(prefix, ['--batch', '10'])
  const exited = once(child, 'exit')
  while (await copied() < RESUME_CONTACTS / 10) await new Promise((resolve) => setTimeout(resolve, 10))
  child.kill('SIGKILL')
  await exited
  const halfway = await copied()
  t.ok(halfway > 0 && halfway < RESUME_CONTACTS, `killed with ${halfway} of ${RESUME_CONTACTS} states copied`)

  // A crash between copying a state and indexing it: copied by hand, not indexed.
  const present = new Set(await scanKeys(target, `${prefix}{*}:state:*`))
  const id = Array.from({ length: RESUME_CONTACTS }, (_, i) => listingContactId(i)).find((id) => !present.has(keys.of(id).state(id))) as string
  await target.restore(keys.of(id).state(id), 0, await source.dumpBuffer(`${prefix}state:${id}`))

  const run = await move(prefix)
  t.equal(run.code, 0, run.stderr)
  const [, moved, skipped] = /^moved (\d+) states and 0 idempotency records; skipped (\d+) already there; conflicts 0;/.exec(run.stdout) ?? []
  t.equal(Number(moved) + Number(skipped), RESUME_CONTACTS, run.stdout)
  t.ok(Number(moved) >= RESUME_CONTACTS - halfway, 'the copied but unindexed state counts as moved')
  t.equal(await copied(), RESUME_CONTACTS)

  const onCluster = await appOn('cluster', prefix)
  t.same(await onCluster.indexMaintenance.sweep(), { expired: 0, ghosts: 0, orphans: 0, prototypeStates: 0 }, 'every state is indexed once')
  t.same(await dashboard(onCluster), await dashboard(await appOn('single', prefix)), 'the dashboard reads the same')
})

t.test('exit codes: 2 for a bad argument, before connecting; 1 for a --to that is not a cluster', async (t) => {
  const bad = await move('seller:', ['--buckets', 'many'])
  t.equal(bad.code, 2)
  t.equal(bad.stderr, `move-to-cluster: --buckets must be an integer from 1 to 1024 (got "many")\n${USAGE}\n`)
  t.equal(bad.stdout, '')
  const notCluster = await move('seller:', ['--to', `127.0.0.1:${single.port}`])
  t.equal(notCluster.code, 1)
  t.match(notCluster.stderr, /^move-to-cluster failed: cannot reach a cluster at --to: .+\n$/)
  t.equal(notCluster.stdout, '')
})
