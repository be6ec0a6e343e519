/**
 * Builds the app for a test against a real Redis, exactly as server.ts builds it.
 *
 * Where Redis comes from: REDIS_URL when set (each app gets a random key prefix and its keys are
 * deleted afterwards), else a private redis-server spawned for this test file, else (or with
 * SELLER_STATE_TEST_REDIS=container) a testcontainers Redis. SELLER_STATE_TEST_REDIS=cluster runs
 * the app on a private 3-master Redis Cluster instead (REDIS_CLUSTER_NODES), one per test file.
 */
import { randomUUID } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import type { Test } from 'tap'
import { Redis, type Cluster } from 'ioredis'
import { buildApp, type BuildOptions } from '../src/app.js'
import { loadConfig, type Config } from '../src/config.js'
import { createKeySpace, type KeySpace } from '../src/redis/keys.js'
import { startRedisServer, type RedisServerOptions, type TestRedisServer } from './support/redis-server.js'
import { startRedisContainer } from './support/redis-container.js'
import { startRedisCluster, type TestRedisCluster } from './support/redis-cluster.js'
import { keyHolders, scanKeys } from './support/scan-keys.js'

export { botState } from './fixtures/bot-state.js'

export type Env = Record<string, string>

const useCluster = process.env.SELLER_STATE_TEST_REDIS === 'cluster'
const useContainer = process.env.SELLER_STATE_TEST_REDIS === 'container' ||
  spawnSync('redis-server', ['--version']).error !== undefined

/** A Redis of this test's own, on the given port or a free one, which the test may stop and start. */
export async function privateRedis (t: Test, port?: number, options: RedisServerOptions = {}): Promise<TestRedisServer> {
  const server = useContainer ? await startRedisContainer(port, options) : await startRedisServer(port, options)
  t.teardown(() => server.stop())
  return server
}

let sharedUrl: Promise<string> | undefined

/** The Redis that tests share within this file (REDIS_URL, or one private server). */
async function sharedRedisUrl (t: Test): Promise<string> {
  if (process.env.REDIS_URL !== undefined) return process.env.REDIS_URL
  sharedUrl ??= (useContainer ? startRedisContainer() : startRedisServer()).then((server) => server.url)
  return await sharedUrl
}

let sharedCluster: Promise<TestRedisCluster> | undefined

/** How the app reaches the shared Redis of this file: REDIS_URL, or the cluster's seed nodes. */
async function sharedRedisEnv (t: Test): Promise<Env> {
  if (!useCluster) return { REDIS_URL: await sharedRedisUrl(t) }
  sharedCluster ??= startRedisCluster()
  return { REDIS_CLUSTER_NODES: (await sharedCluster).nodes }
}

/** A client of the same Redis as the app's, outside it. */
async function inspector (config: Config): Promise<Redis | Cluster> {
  if (!useCluster) return new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 })
  return (await sharedCluster as TestRedisCluster).client({ lazyConnect: true, redisOptions: { maxRetriesPerRequest: 1 } })
}

export interface TestApp {
  app: FastifyInstance
  config: Config
  /** A second connection, for looking at and tampering with what the service stored. */
  redis: Redis | Cluster
  /** The app's key names (tagged buckets on a cluster): the only way a test names a key. */
  keys: KeySpace
}

/** The key space of the app that runs with this configuration, as the app builds it. */
export function keySpaceOf (config: Config): KeySpace {
  return createKeySpace(config.keyPrefix, config.redisCluster?.buckets ?? null)
}

/** Every key of the pattern on every server that holds keys, by SCAN. */
async function scanEverywhere (redis: Redis | Cluster, pattern: string): Promise<Array<{ server: Redis, keys: string[] }>> {
  return await Promise.all((await keyHolders(redis)).map(async (server) => ({ server, keys: await scanKeys(server, pattern) })))
}

async function deleteKeys (redis: Redis | Cluster, pattern: string): Promise<void> {
  // One DEL per key: a cluster refuses a DEL of keys in different slots.
  await Promise.all((await scanEverywhere(redis, pattern)).map(async ({ server, keys }) => {
    const pipeline = server.pipeline()
    for (const key of keys) pipeline.del(key)
    await pipeline.exec()
  }))
}

/** Builds and readies the app with a fresh key prefix; closes it and deletes its keys after the test. */
export async function build (t: Test, env: Env = {}, beforeReady?: (app: FastifyInstance) => void, options: BuildOptions = {}): Promise<TestApp> {
  const config = loadConfig({
    ...await sharedRedisEnv(t),
    KEY_PREFIX: `test:${randomUUID()}:`,
    LOG_LEVEL: 'silent',
    // Test files share two cores: a lagging event loop must not shed an unrelated test's load
    // (load-shedding.test.ts tests the shedding).
    MAX_EVENT_LOOP_DELAY_MS: '0',
    ...env
  })
  const app = await buildApp(config, options)
  const redis = await inspector(config)
  redis.on('error', () => {}) // outage tests stop the server under it on purpose
  t.teardown(async () => {
    await app.close()
    await deleteKeys(redis, `${config.keyPrefix}*`).catch(() => {})
    redis.disconnect()
  })
  beforeReady?.(app)
  await app.ready()
  return { app, config, redis, keys: keySpaceOf(config) }
}

type App = FastifyInstance
type Headers = Record<string, string>

const body = (value: unknown): string => typeof value === 'string' ? value : JSON.stringify(value)

/** PUT of a document: a string is sent as it is, anything else as JSON. */
export async function putState (app: App, id: string, value: unknown, headers: Headers = {}): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'PUT', url: `/seller/state/${id}`, headers: { 'content-type': 'application/json', ...headers }, payload: body(value) })
}

/** PATCH with a merge patch: a string is sent as it is, anything else as JSON. */
export async function patchState (app: App, id: string, value: unknown, headers: Headers = {}): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'PATCH', url: `/seller/state/${id}`, headers: { 'content-type': 'application/merge-patch+json', ...headers }, payload: body(value) })
}

export async function getState (app: App, id: string, headers: Headers = {}): Promise<LightMyRequestResponse> {
  return await app.inject({ url: `/seller/state/${id}`, headers })
}

export async function deleteState (app: App, id: string, headers: Headers = {}): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'DELETE', url: `/seller/state/${id}`, headers })
}

/** Deletes every key of the app's prefix, on every master, as if it had just started. */
export async function deleteStoredKeys ({ redis, config }: TestApp): Promise<void> {
  await deleteKeys(redis, `${config.keyPrefix}*`)
}

/** Every data key the app stored (the sweep's lock aside), to prove that a refused request wrote nothing. */
export async function storedKeys ({ redis, config }: TestApp): Promise<string[]> {
  const stored = (await scanEverywhere(redis, `${config.keyPrefix}*`)).flatMap(({ keys }) => keys)
  return stored.filter((key) => !key.startsWith(`${config.keyPrefix}lock:`)).sort()
}

/** The value of one line of GET /metrics (name and labels as printed), or undefined. */
export async function metricValue (app: App, line: string): Promise<number | undefined> {
  const text = (await app.inject({ url: '/metrics' })).body
  const found = text.split('\n').find((l) => l.startsWith(`${line} `))
  return found === undefined ? undefined : Number(found.slice(line.length + 1))
}

/** Polls until the check passes or the time runs out, for effects that land asynchronously. */
export async function eventually (check: () => Promise<boolean>, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return true
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return false
}
