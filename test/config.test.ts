/**
 * Configuration from the environment: defaults, parsing, and start-up refusal with a message
 * that names every bad variable.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ConfigError, loadConfig } from '../src/config.js'

t.test('defaults match the documented table', async (t) => {
  t.same(loadConfig({}), {
    port: 3000,
    host: '127.0.0.1',
    redisUrl: 'redis://127.0.0.1:6379',
    redisCluster: null,
    redisSentinel: null,
    minReplicasAck: 0,
    redisUsername: '',
    redisPassword: '',
    redisTls: null,
    stateTtlSeconds: 604800,
    stallAfterSeconds: 172800,
    logLevel: 'info',
    keyPrefix: 'seller:',
    bodyLimitBytes: 262144,
    redisCommandTimeoutMs: 1000,
    idempotencyTtlSeconds: 86400,
    requirePrecondition: false,
    sweepIntervalSeconds: 60,
    shutdownGraceMs: 10000,
    requestTimeoutMs: 10000,
    apiKeys: [],
    rateLimitMax: 0,
    rateLimitWindow: '1 minute',
    maxEventLoopDelayMs: 1000,
    maxHeapUsedBytes: 0,
    redisMemoryHighPercent: 90,
    authFailureLimit: 30,
    docsRateLimit: 60,
    addressLimitWindow: '1 minute',
    maxConnections: 1000,
    expensiveReadsPerReplica: 4,
    expensiveReadsPerToken: 1,
    eventsHeartbeatSeconds: 15,
    eventsClientBufferBytes: 1048576
  })
})

t.test('every variable is read and converted', async (t) => {
  t.same(loadConfig({
    PORT: '8080',
    HOST: '0.0.0.0',
    REDIS_URL: 'rediss://user:pw@redis.internal:6380/2',
    STATE_TTL_SECONDS: '60',
    STALL_AFTER_SECONDS: '3600',
    LOG_LEVEL: 'debug',
    KEY_PREFIX: 'tenant-a:',
    BODY_LIMIT_BYTES: '4096',
    REDIS_COMMAND_TIMEOUT_MS: '250',
    IDEMPOTENCY_TTL_SECONDS: '600',
    REQUIRE_PRECONDITION: 'true',
    SWEEP_INTERVAL_SECONDS: '0',
    SHUTDOWN_GRACE_MS: '2500',
    REQUEST_TIMEOUT_MS: '5000',
    API_KEYS: 'write:0123456789abcdef0123',
    RATE_LIMIT_MAX: '600',
    RATE_LIMIT_WINDOW: '10 s',
    MAX_EVENT_LOOP_DELAY_MS: '250',
    MAX_HEAP_USED_BYTES: '500000000',
    REDIS_MEMORY_HIGH_PERCENT: '80',
    AUTH_FAILURE_LIMIT: '10',
    DOCS_RATE_LIMIT: '0',
    ADDRESS_LIMIT_WINDOW: '30 s',
    MAX_CONNECTIONS: '200',
    EXPENSIVE_READS_PER_REPLICA: '8',
    EXPENSIVE_READS_PER_TOKEN: '3',
    EVENTS_HEARTBEAT_SECONDS: '5',
    EVENTS_CLIENT_BUFFER_BYTES: '65536',
    REDIS_MIN_REPLICAS_ACK: '1',
    REDIS_USERNAME: 'svc',
    REDIS_PASSWORD: 'pw',
    REDIS_TLS: 'true'
  }), {
    port: 8080,
    host: '0.0.0.0',
    redisUrl: 'rediss://user:pw@redis.internal:6380/2',
    redisCluster: null,
    redisSentinel: null,
    minReplicasAck: 1,
    redisUsername: 'svc',
    redisPassword: 'pw',
    redisTls: { ca: null },
    stateTtlSeconds: 60,
    stallAfterSeconds: 3600,
    logLevel: 'debug',
    keyPrefix: 'tenant-a:',
    bodyLimitBytes: 4096,
    redisCommandTimeoutMs: 250,
    idempotencyTtlSeconds: 600,
    requirePrecondition: true,
    sweepIntervalSeconds: 0,
    shutdownGraceMs: 2500,
    requestTimeoutMs: 5000,
    apiKeys: [{ scope: 'write', token: '0123456789abcdef0123' }],
    rateLimitMax: 600,
    rateLimitWindow: '10 s',
    maxEventLoopDelayMs: 250,
    maxHeapUsedBytes: 500000000,
    redisMemoryHighPercent: 80,
    authFailureLimit: 10,
    docsRateLimit: 0,
    addressLimitWindow: '30 s',
    maxConnections: 200,
    expensiveReadsPerReplica: 8,
    expensiveReadsPerToken: 3,
    eventsHeartbeatSeconds: 5,
    eventsClientBufferBytes: 65536
  })
})

t.test('a cluster: seed nodes, buckets, credentials and TLS', async (t) => {
  const caFile = join(mkdtempSync(join(tmpdir(), 'seller-state-ca-')), 'ca.pem')
  writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nfixture\n-----END CERTIFICATE-----\n')
  const config = loadConfig({
    REDIS_CLUSTER_NODES: 'redis-0.internal:6379, 10.0.0.7:7001,[::1]:7002',
    REDIS_CLUSTER_BUCKETS: '24',
    REDIS_USERNAME: 'seller-state',
    REDIS_PASSWORD: 's3cret',
    REDIS_TLS: 'true',
    REDIS_TLS_CA_FILE: caFile
  })
  t.same(config.redisCluster, { nodes: [{ host: 'redis-0.internal', port: 6379 }, { host: '10.0.0.7', port: 7001 }, { host: '::1', port: 7002 }], buckets: 24 })
  t.same([config.redisUsername, config.redisPassword], ['seller-state', 's3cret'])
  t.same(config.redisTls, { ca: readFileSync(caFile, 'utf8') })
  t.same(loadConfig({ REDIS_TLS: 'true' }).redisTls, { ca: null }, 'TLS with the system\'s authorities')
  t.equal(loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7000' }).redisCluster?.buckets, 6, 'six buckets by default')

  for (const [env, message] of [
    [{ REDIS_CLUSTER_NODES: '127.0.0.1:7000', REDIS_URL: 'redis://127.0.0.1:6379' }, /REDIS_URL and REDIS_CLUSTER_NODES are set together/],
    [{ REDIS_CLUSTER_NODES: '127.0.0.1:7000,127.0.0.1' }, /REDIS_CLUSTER_NODES entry 2 must be host:port \(got "127.0.0.1"\)/],
    [{ REDIS_CLUSTER_NODES: '127.0.0.1:70000' }, /REDIS_CLUSTER_NODES entry 1 must be host:port/],
    [{ REDIS_CLUSTER_NODES: 'redis://127.0.0.1:7000' }, /REDIS_CLUSTER_NODES entry 1 must be host:port/],
    [{ REDIS_CLUSTER_NODES: '127.0.0.1:7000', KEY_PREFIX: 'tenant-{a}:' }, /KEY_PREFIX must not contain \{ or \} on a cluster/],
    [{ REDIS_CLUSTER_NODES: '127.0.0.1:7000', REDIS_CLUSTER_BUCKETS: '0' }, /REDIS_CLUSTER_BUCKETS must be >= 1/],
    [{ REDIS_TLS_CA_FILE: '/nonexistent/ca.pem' }, /REDIS_TLS_CA_FILE cannot be read \(ENOENT/]
  ] as const) {
    t.throws(() => loadConfig(env), { name: 'ConfigError', message }, JSON.stringify(env))
  }
  const refused = t.throws(() => loadConfig({ REDIS_PASSWORD: 's3cret', REDIS_TLS: 'maybe' })) as ConfigError
  t.notMatch(refused.message, /s3cret/, 'a password is never repeated back')
})

t.test('bad values are refused with a message naming each variable', async (t) => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: 'eighty' }, /PORT must be integer \(got "eighty"\)/],
    [{ PORT: '70000' }, /PORT must be <= 65535/],
    [{ REDIS_URL: 'localhost:6379' }, /REDIS_URL must match pattern/],
    [{ STATE_TTL_SECONDS: '0' }, /STATE_TTL_SECONDS must be >= 1/],
    [{ EXPENSIVE_READS_PER_TOKEN: '0' }, /EXPENSIVE_READS_PER_TOKEN must be >= 1/],
    [{ REDIS_MEMORY_HIGH_PERCENT: '101' }, /REDIS_MEMORY_HIGH_PERCENT must be <= 100/],
    [{ ADDRESS_LIMIT_WINDOW: 'soon' }, /ADDRESS_LIMIT_WINDOW must match pattern/],
    [{ STALL_AFTER_SECONDS: '1.5' }, /STALL_AFTER_SECONDS must be integer/],
    [{ LOG_LEVEL: 'verbose' }, /LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/],
    [{ KEY_PREFIX: '' }, /KEY_PREFIX must NOT have fewer than 1 characters/],
    [{ REQUIRE_PRECONDITION: 'yes' }, /REQUIRE_PRECONDITION must be boolean/],
    [{ SWEEP_INTERVAL_SECONDS: '-1' }, /SWEEP_INTERVAL_SECONDS must be >= 0/],
    [{ RATE_LIMIT_WINDOW: 'a while' }, /RATE_LIMIT_WINDOW must match pattern/]
  ]
  for (const [env, message] of cases) {
    t.throws(() => loadConfig(env), { name: 'ConfigError', message }, JSON.stringify(env))
  }
  for (const [url, message] of [
    ['redis://127.0.0.1:notaport', /REDIS_URL is not a URL/],
    ['redis://127.0.0.1:0', /REDIS_URL has an invalid port/],
    ['redis://127.0.0.1:6379/abc', /REDIS_URL must name a database by its number/]
  ] as const) {
    t.throws(() => loadConfig({ REDIS_URL: url }), { name: 'ConfigError', message }, url)
  }
  t.equal(loadConfig({ REDIS_URL: 'redis://:secret@127.0.0.1:6380/3' }).redisUrl, 'redis://:secret@127.0.0.1:6380/3')
  const both = t.throws(() => loadConfig({ PORT: 'x', LOG_LEVEL: 'loud' })) as ConfigError
  t.match(both.message, /^Invalid configuration: .*PORT.*; .*LOG_LEVEL/)
})

t.test('exactly one of REDIS_URL, REDIS_SENTINELS and REDIS_CLUSTER_NODES; the sentinel pair together', async (t) => {
  const sentinel = loadConfig({ REDIS_SENTINELS: '10.0.0.1:26379, [::1]:26380,sentinel-c:26381', REDIS_SENTINEL_NAME: 'seller', REDIS_SENTINEL_PASSWORD: 's3cret' })
  t.same(sentinel.redisSentinel, {
    sentinels: [{ host: '10.0.0.1', port: 26379 }, { host: '::1', port: 26380 }, { host: 'sentinel-c', port: 26381 }],
    name: 'seller',
    password: 's3cret'
  })
  t.equal(sentinel.redisCluster, null)
  t.same(loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000' }).redisSentinel, null)
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ REDIS_URL: 'redis://a:6379', REDIS_SENTINELS: 'b:26379', REDIS_SENTINEL_NAME: 'm' }, /REDIS_URL and REDIS_SENTINELS are set together: set one/],
    [{ REDIS_SENTINELS: 'b:26379', REDIS_SENTINEL_NAME: 'm', REDIS_CLUSTER_NODES: 'c:7000' }, /REDIS_SENTINELS and REDIS_CLUSTER_NODES are set together/],
    [{ REDIS_URL: 'redis://a:6379', REDIS_CLUSTER_NODES: 'c:7000' }, /REDIS_URL and REDIS_CLUSTER_NODES are set together/],
    [{ REDIS_SENTINELS: 'b:26379' }, /REDIS_SENTINELS is set without REDIS_SENTINEL_NAME/],
    [{ REDIS_SENTINEL_NAME: 'm' }, /REDIS_SENTINEL_NAME is set without REDIS_SENTINELS/],
    [{ REDIS_SENTINELS: 'b:26379,nonsense', REDIS_SENTINEL_NAME: 'm' }, /REDIS_SENTINELS entry 2 must be host:port \(got "nonsense"\)/],
    [{ REDIS_SENTINELS: 'b:0', REDIS_SENTINEL_NAME: 'm' }, /REDIS_SENTINELS entry 1 must be host:port/],
    [{ REDIS_CLUSTER_NODES: 'c:7000,' }, /REDIS_CLUSTER_NODES entry 2 must be host:port/],
    [{ REDIS_MIN_REPLICAS_ACK: '-1' }, /REDIS_MIN_REPLICAS_ACK must be >= 0/],
    [{ REDIS_MIN_REPLICAS_ACK: 'all' }, /REDIS_MIN_REPLICAS_ACK must be integer/]
  ]
  for (const [env, message] of cases) {
    t.throws(() => loadConfig(env), { name: 'ConfigError', message }, JSON.stringify(env))
  }
})

t.test('the server refuses to start on a bad variable, exit code 1 and the message on stderr', async (t) => {
  const child = spawn(process.execPath, [...process.execArgv, 'src/server.ts'], {
    env: { ...process.env, PORT: 'nope' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const [code] = await once(child, 'exit')
  t.equal(code, 1)
  t.match(stderr, /Invalid configuration: PORT must be integer \(got "nope"\)/)
})
