/**
 * Configuration from the environment, validated once at start-up.
 * A wrong value stops the process with a message that names the variable.
 */
import { readFileSync } from 'node:fs'
import envSchema from 'env-schema'
import { Type, type Static, type TString } from '@sinclair/typebox'

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
type LogLevel = typeof LOG_LEVELS[number]

/** A time window as @fastify/rate-limit reads one: 500 ms, 10 s, 1 minute, or a number of ms. */
const Duration = (fallback: string, description: string): TString => Type.String({
  pattern: '^[0-9]+ ?(ms|s|sec|seconds?|m|min|minutes?|h|hours?)?$',
  default: fallback,
  description
})

export const EnvSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000, description: 'TCP port to listen on' }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'Interface to bind' }),
  REDIS_URL: Type.String({
    pattern: '^rediss?://',
    default: 'redis://127.0.0.1:6379',
    description: 'redis:// or rediss:// URL, credentials and database included'
  }),
  REDIS_CLUSTER_NODES: Type.String({ default: '', description: 'Seed nodes of a Redis Cluster, host:port,host:port,...; set instead of REDIS_URL' }),
  REDIS_SENTINELS: Type.String({ default: '', description: 'Sentinels of the master group REDIS_SENTINEL_NAME, host:port,host:port,...; set instead of REDIS_URL' }),
  REDIS_SENTINEL_NAME: Type.String({ default: '', description: 'The master group the sentinels watch (sentinel monitor <name> ...)' }),
  REDIS_SENTINEL_PASSWORD: Type.String({ default: '', description: 'Password of the sentinels themselves (requirepass of sentinel.conf), if any' }),
  REDIS_MIN_REPLICAS_ACK: Type.Integer({ minimum: 0, maximum: 16, default: 0, description: 'Replicas that must hold a write (WAIT) before it is acknowledged; 0: the primary alone' }),
  REDIS_CLUSTER_BUCKETS: Type.Integer({ minimum: 1, maximum: 1024, default: 6, description: 'Buckets the contacts are spread over on a cluster; fixed for the life of the data' }),
  REDIS_USERNAME: Type.String({ default: '', description: 'ACL user (cluster; a single Redis takes it in REDIS_URL too)' }),
  REDIS_PASSWORD: Type.String({ default: '', description: 'Password (cluster; a single Redis takes it in REDIS_URL too)' }),
  REDIS_TLS: Type.Boolean({ default: false, description: 'Connect with TLS (a single Redis also does with a rediss:// URL)' }),
  REDIS_TLS_CA_FILE: Type.String({ default: '', description: 'PEM file of the certificate authorities to trust instead of the system\'s' }),
  STATE_TTL_SECONDS: Type.Integer({ minimum: 1, default: 604800, description: 'Lifetime of a state after its last write' }),
  STALL_AFTER_SECONDS: Type.Integer({ minimum: 1, default: 172800, description: 'Inactivity after which an unqualified conversation is stalled' }),
  // A plain enum rather than a union of literals: Ajv then reports one readable error.
  LOG_LEVEL: Type.Unsafe<LogLevel>({ type: 'string', enum: LOG_LEVELS, default: 'info' }),
  KEY_PREFIX: Type.String({ minLength: 1, maxLength: 64, default: 'seller:', description: 'Prefix of every Redis key' }),
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, default: 262144, description: 'Largest accepted request body' }),
  REDIS_COMMAND_TIMEOUT_MS: Type.Integer({ minimum: 50, default: 1000, description: 'A Redis command slower than this fails the request with 503' }),
  REDIS_MEMORY_HIGH_PERCENT: Type.Integer({ minimum: 1, maximum: 100, default: 90, description: 'Share of Redis maxmemory in use past which /health/ready answers 503' }),
  IDEMPOTENCY_TTL_SECONDS: Type.Integer({ minimum: 1, default: 86400, description: 'How long an Idempotency-Key is remembered' }),
  REQUIRE_PRECONDITION: Type.Boolean({ default: false, description: 'Refuse writes of an existing state without If-Match (428)' }),
  SWEEP_INTERVAL_SECONDS: Type.Integer({ minimum: 0, default: 60, description: 'Period of the index sweep; 0 turns it off' }),
  SHUTDOWN_GRACE_MS: Type.Integer({ minimum: 0, default: 10000, description: 'How long a shutdown waits for requests in flight' }),
  REQUEST_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10000, description: 'A client that has not sent its whole request by then gets 408' }),
  API_KEYS: Type.String({ default: '', description: 'Comma-separated <scope>:<token>, scope read or write; unset: no access control' }),
  ALLOW_ANONYMOUS: Type.Boolean({ default: false, description: 'Lets NODE_ENV=production run without API_KEYS' }),
  NODE_ENV: Type.String({ default: 'development' }),
  MAX_EVENT_LOOP_DELAY_MS: Type.Integer({ minimum: 0, default: 1000, description: 'Event-loop lag past which requests get 503; 0 turns the check off' }),
  MAX_HEAP_USED_BYTES: Type.Integer({ minimum: 0, default: 0, description: 'Heap size past which requests get 503; 0 turns the check off' }),
  RATE_LIMIT_MAX: Type.Integer({ minimum: 0, default: 0, description: 'Requests per token (or address) per window; 0 turns rate limiting off' }),
  AUTH_FAILURE_LIMIT: Type.Integer({ minimum: 0, default: 30, description: 'Failed authentications per address per ADDRESS_LIMIT_WINDOW before 429; 0 turns it off' }),
  DOCS_RATE_LIMIT: Type.Integer({ minimum: 0, default: 60, description: 'Requests for /docs per address per ADDRESS_LIMIT_WINDOW before 429; 0 turns it off' }),
  ADDRESS_LIMIT_WINDOW: Duration('1 minute', 'The window of AUTH_FAILURE_LIMIT and DOCS_RATE_LIMIT'),
  MAX_CONNECTIONS: Type.Integer({ minimum: 0, default: 1000, description: 'Open connections this replica accepts; more are closed at once. 0: no cap' }),
  EXPENSIVE_READS_PER_REPLICA: Type.Integer({ minimum: 1, default: 4, description: 'Expensive dashboard reads (search, deep pages, view=full) this replica runs at once; more get 503' }),
  EXPENSIVE_READS_PER_TOKEN: Type.Integer({ minimum: 1, default: 1, description: 'Expensive dashboard reads one token (or address) runs at once; more get 429' }),
  EVENTS_HEARTBEAT_SECONDS: Type.Integer({ minimum: 1, default: 15, description: 'Period of the heartbeat comment on idle change feeds' }),
  EVENTS_CLIENT_BUFFER_BYTES: Type.Integer({ minimum: 4096, default: 1048576, description: 'Bytes a change feed may have unsent before its client is cut off' }),
  RATE_LIMIT_WINDOW: Duration('1 minute', 'The window of RATE_LIMIT_MAX, as 500 ms, 10 s, 1 minute or a number of ms')
})

type Env = Static<typeof EnvSchema>

/** A cluster seed node or a sentinel. */
export interface RedisNode {
  host: string
  port: number
}

export interface Config {
  port: number
  host: string
  /** The single Redis; unused when redisCluster or redisSentinel is set. */
  redisUrl: string
  /** Sentinels and the master group they watch; null unless REDIS_SENTINELS is set. */
  redisSentinel: { sentinels: RedisNode[], name: string, password: string } | null
  /** Seed nodes and bucket count of a Redis Cluster; null for a single Redis. */
  redisCluster: { nodes: RedisNode[], buckets: number } | null
  /** Replicas that must confirm a write (WAIT) before its 2xx; 0: none. */
  minReplicasAck: number
  redisUsername: string
  redisPassword: string
  /** TLS options; null for plain TCP (a rediss:// URL turns TLS on by itself). */
  redisTls: { ca: string | null } | null
  stateTtlSeconds: number
  stallAfterSeconds: number
  logLevel: LogLevel
  keyPrefix: string
  bodyLimitBytes: number
  redisCommandTimeoutMs: number
  redisMemoryHighPercent: number
  idempotencyTtlSeconds: number
  requirePrecondition: boolean
  sweepIntervalSeconds: number
  shutdownGraceMs: number
  requestTimeoutMs: number
  /** Empty: the service runs open. */
  apiKeys: ApiKey[]
  rateLimitMax: number
  rateLimitWindow: string
  authFailureLimit: number
  docsRateLimit: number
  addressLimitWindow: string
  maxConnections: number
  expensiveReadsPerReplica: number
  expensiveReadsPerToken: number
  maxEventLoopDelayMs: number
  maxHeapUsedBytes: number
  eventsHeartbeatSeconds: number
  eventsClientBufferBytes: number
}

export interface ApiKey {
  /** write includes read. */
  scope: 'read' | 'write'
  token: string
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

interface AjvError { instancePath: string, message?: string, params: Record<string, unknown> }

function describe (error: AjvError, env: Record<string, unknown>): string {
  const variable = error.instancePath.replace(/^\//, '')
  const allowed = error.params.allowedValues as unknown[] | undefined
  const rule = allowed !== undefined ? `must be one of ${allowed.join(', ')}` : error.message
  // A credential is never repeated back, not even a malformed one.
  const value = variable === 'REDIS_URL' ? withoutCredentials(String(env[variable])) : env[variable]
  const got = ['API_KEYS', 'REDIS_PASSWORD', 'REDIS_SENTINEL_PASSWORD'].includes(variable) ? '' : ` (got ${JSON.stringify(value)})`
  return `${variable} ${rule}${got}`
}

/**
 * A URL as a configuration error may show it: everything up to its last '@' is masked, so that a
 * password is hidden even where it breaks the URL's syntax (an unencoded '/' or '@' in it).
 */
function withoutCredentials (url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)?.*@/is, '$1***@')
}

/** What ioredis would fail on only later, at connection time, with a less helpful message. */
function checkRedisUrl (value: string): void {
  const shown = JSON.stringify(withoutCredentials(value))
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new ConfigError(`Invalid configuration: REDIS_URL is not a URL (got ${shown})`)
  }
  if (url.port !== '' && !(Number(url.port) >= 1 && Number(url.port) <= 65535)) {
    throw new ConfigError(`Invalid configuration: REDIS_URL has an invalid port (got ${shown})`)
  }
  if (!/^\/?(\d+)?$/.test(url.pathname)) {
    throw new ConfigError(`Invalid configuration: REDIS_URL must name a database by its number, as /0 (got ${shown})`)
  }
}

const NODE_ADDRESS = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/

/** A list of host:port (REDIS_CLUSTER_NODES, REDIS_SENTINELS); an IPv6 address is written in brackets. */
export function parseNodes (variable: string, value: string): RedisNode[] {
  return value.split(',').map((entry, i) => {
    const match = NODE_ADDRESS.exec(entry.trim())
    const port = Number(match?.[2])
    if (match === null || !(port >= 1 && port <= 65535)) {
      throw new ConfigError(`Invalid configuration: ${variable} entry ${i + 1} must be host:port (got ${JSON.stringify(entry.trim())})`)
    }
    return { host: (match[1] as string).replace(/^\[(.*)\]$/, '$1'), port }
  })
}

type RedisTarget = Pick<Config, 'redisCluster' | 'redisSentinel'>

/** The Redis to use: exactly one of REDIS_URL (the default), REDIS_SENTINELS and REDIS_CLUSTER_NODES. */
function redisTarget (parsed: Env, env: Record<string, string | undefined>): RedisTarget {
  const sentinels = parsed.REDIS_SENTINELS.trim()
  const sentinelName = parsed.REDIS_SENTINEL_NAME.trim()
  const cluster = parsed.REDIS_CLUSTER_NODES.trim()
  const chosen = [env.REDIS_URL !== undefined && 'REDIS_URL', sentinels !== '' && 'REDIS_SENTINELS', cluster !== '' && 'REDIS_CLUSTER_NODES']
    .filter((name) => name !== false)
  if (chosen.length > 1) {
    throw new ConfigError(`Invalid configuration: ${chosen.join(' and ')} are set together: set one (REDIS_URL for a single Redis, REDIS_SENTINELS with REDIS_SENTINEL_NAME for a primary watched by Sentinel, REDIS_CLUSTER_NODES for a cluster)`)
  }
  if ((sentinels === '') !== (sentinelName === '')) {
    const [set, missing] = sentinels === '' ? ['REDIS_SENTINEL_NAME', 'REDIS_SENTINELS'] : ['REDIS_SENTINELS', 'REDIS_SENTINEL_NAME']
    throw new ConfigError(`Invalid configuration: ${set} is set without ${missing}: Sentinel mode needs both (the sentinels, and the master group they watch)`)
  }
  if (sentinels !== '') {
    return { redisCluster: null, redisSentinel: { sentinels: parseNodes('REDIS_SENTINELS', sentinels), name: sentinelName, password: parsed.REDIS_SENTINEL_PASSWORD } }
  }
  if (cluster === '') return { redisCluster: null, redisSentinel: null }
  // A brace in the prefix would be taken for the hash tag that places each key (keys.ts).
  if (/[{}]/.test(parsed.KEY_PREFIX)) {
    throw new ConfigError(`Invalid configuration: KEY_PREFIX must not contain { or } on a cluster (got ${JSON.stringify(parsed.KEY_PREFIX)})`)
  }
  return { redisCluster: { nodes: parseNodes('REDIS_CLUSTER_NODES', cluster), buckets: parsed.REDIS_CLUSTER_BUCKETS }, redisSentinel: null }
}

function redisTls (parsed: Env): Config['redisTls'] {
  if (parsed.REDIS_TLS_CA_FILE === '') return parsed.REDIS_TLS ? { ca: null } : null
  try {
    return { ca: readFileSync(parsed.REDIS_TLS_CA_FILE, 'utf8') }
  } catch (err) {
    throw new ConfigError(`Invalid configuration: REDIS_TLS_CA_FILE cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}: ${parsed.REDIS_TLS_CA_FILE})`)
  }
}

// Tokens are compared as bearer credentials: visible ASCII, no comma (the list separator).
const API_KEY_ENTRY = /^(read|write):([\x21-\x2b\x2d-\x7e]{16,})$/

/** API_KEYS as entries; the message never repeats a token. */
function parseApiKeys (value: string): ApiKey[] {
  if (value.trim() === '') return []
  return value.split(',').map((entry, i) => {
    const match = API_KEY_ENTRY.exec(entry.trim())
    if (match === null) {
      throw new ConfigError(`Invalid configuration: API_KEYS entry ${i + 1} must be read:<token> or write:<token>, the token at least 16 visible characters without commas`)
    }
    return { scope: match[1] as ApiKey['scope'], token: match[2] as string }
  })
}

/** Reads and validates the configuration; throws a ConfigError naming every bad variable. */
export function loadConfig (env: Record<string, string | undefined> = process.env): Config {
  let parsed: Env
  try {
    parsed = envSchema<Env>({ schema: EnvSchema, data: env, env: false, dotenv: false })
  } catch (err) {
    const errors = (err as { errors?: AjvError[] }).errors ?? []
    const details = errors.map((error) => describe(error, env)).join('; ')
    throw new ConfigError(`Invalid configuration: ${details || (err as Error).message}`)
  }
  checkRedisUrl(parsed.REDIS_URL)
  const target = redisTarget(parsed, env)
  const apiKeys = parseApiKeys(parsed.API_KEYS)
  if (apiKeys.length === 0 && parsed.NODE_ENV === 'production' && !parsed.ALLOW_ANONYMOUS) {
    throw new ConfigError('Invalid configuration: API_KEYS is required with NODE_ENV=production (set ALLOW_ANONYMOUS=true to run open on purpose)')
  }
  return {
    port: parsed.PORT,
    host: parsed.HOST,
    redisUrl: parsed.REDIS_URL,
    ...target,
    minReplicasAck: parsed.REDIS_MIN_REPLICAS_ACK,
    redisUsername: parsed.REDIS_USERNAME,
    redisPassword: parsed.REDIS_PASSWORD,
    redisTls: redisTls(parsed),
    stateTtlSeconds: parsed.STATE_TTL_SECONDS,
    stallAfterSeconds: parsed.STALL_AFTER_SECONDS,
    logLevel: parsed.LOG_LEVEL,
    keyPrefix: parsed.KEY_PREFIX,
    bodyLimitBytes: parsed.BODY_LIMIT_BYTES,
    redisCommandTimeoutMs: parsed.REDIS_COMMAND_TIMEOUT_MS,
    redisMemoryHighPercent: parsed.REDIS_MEMORY_HIGH_PERCENT,
    idempotencyTtlSeconds: parsed.IDEMPOTENCY_TTL_SECONDS,
    requirePrecondition: parsed.REQUIRE_PRECONDITION,
    sweepIntervalSeconds: parsed.SWEEP_INTERVAL_SECONDS,
    shutdownGraceMs: parsed.SHUTDOWN_GRACE_MS,
    requestTimeoutMs: parsed.REQUEST_TIMEOUT_MS,
    apiKeys,
    rateLimitMax: parsed.RATE_LIMIT_MAX,
    rateLimitWindow: parsed.RATE_LIMIT_WINDOW,
    authFailureLimit: parsed.AUTH_FAILURE_LIMIT,
    docsRateLimit: parsed.DOCS_RATE_LIMIT,
    addressLimitWindow: parsed.ADDRESS_LIMIT_WINDOW,
    maxConnections: parsed.MAX_CONNECTIONS,
    expensiveReadsPerReplica: parsed.EXPENSIVE_READS_PER_REPLICA,
    expensiveReadsPerToken: parsed.EXPENSIVE_READS_PER_TOKEN,
    maxEventLoopDelayMs: parsed.MAX_EVENT_LOOP_DELAY_MS,
    maxHeapUsedBytes: parsed.MAX_HEAP_USED_BYTES,
    eventsHeartbeatSeconds: parsed.EVENTS_HEARTBEAT_SECONDS,
    eventsClientBufferBytes: parsed.EVENTS_CLIENT_BUFFER_BYTES
  }
}
