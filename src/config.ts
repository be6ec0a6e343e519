/**
 * Configuration from the environment, validated once at start-up.
 * A wrong value stops the process with a message that names the variable.
 */
import envSchema from 'env-schema'
import { Type, type Static } from '@sinclair/typebox'

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
type LogLevel = typeof LOG_LEVELS[number]

export const EnvSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000, description: 'TCP port to listen on' }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'Interface to bind' }),
  REDIS_URL: Type.String({
    pattern: '^rediss?://',
    default: 'redis://127.0.0.1:6379',
    description: 'redis:// or rediss:// URL, credentials and database included'
  }),
  STATE_TTL_SECONDS: Type.Integer({ minimum: 1, default: 604800, description: 'Lifetime of a state after its last write' }),
  STALL_AFTER_SECONDS: Type.Integer({ minimum: 1, default: 172800, description: 'Inactivity after which an unqualified conversation is stalled' }),
  // A plain enum rather than a union of literals: Ajv then reports one readable error.
  LOG_LEVEL: Type.Unsafe<LogLevel>({ type: 'string', enum: LOG_LEVELS, default: 'info' }),
  KEY_PREFIX: Type.String({ minLength: 1, maxLength: 64, default: 'seller:', description: 'Prefix of every Redis key' }),
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, default: 262144, description: 'Largest accepted request body' }),
  REDIS_COMMAND_TIMEOUT_MS: Type.Integer({ minimum: 50, default: 1000, description: 'A Redis command slower than this fails the request with 503' }),
  IDEMPOTENCY_TTL_SECONDS: Type.Integer({ minimum: 1, default: 86400, description: 'How long an Idempotency-Key is remembered' }),
  REQUIRE_PRECONDITION: Type.Boolean({ default: false, description: 'Refuse writes of an existing state without If-Match (428)' }),
  SWEEP_INTERVAL_SECONDS: Type.Integer({ minimum: 0, default: 60, description: 'Period of the index sweep; 0 turns it off' })
})

type Env = Static<typeof EnvSchema>

export interface Config {
  port: number
  host: string
  redisUrl: string
  stateTtlSeconds: number
  stallAfterSeconds: number
  logLevel: LogLevel
  keyPrefix: string
  bodyLimitBytes: number
  redisCommandTimeoutMs: number
  idempotencyTtlSeconds: number
  requirePrecondition: boolean
  sweepIntervalSeconds: number
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

interface AjvError { instancePath: string, message?: string, params: Record<string, unknown> }

function describe (error: AjvError, env: Record<string, unknown>): string {
  const variable = error.instancePath.replace(/^\//, '')
  const allowed = error.params.allowedValues as unknown[] | undefined
  const rule = allowed !== undefined ? `must be one of ${allowed.join(', ')}` : error.message
  return `${variable} ${rule} (got ${JSON.stringify(env[variable])})`
}

/** What ioredis would fail on only later, at connection time, with a less helpful message. */
function checkRedisUrl (value: string): void {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new ConfigError(`Invalid configuration: REDIS_URL is not a URL (got ${JSON.stringify(value)})`)
  }
  if (url.port !== '' && !(Number(url.port) >= 1 && Number(url.port) <= 65535)) {
    throw new ConfigError(`Invalid configuration: REDIS_URL has an invalid port (got ${JSON.stringify(value)})`)
  }
  if (!/^\/?(\d+)?$/.test(url.pathname)) {
    throw new ConfigError(`Invalid configuration: REDIS_URL must name a database by its number, as /0 (got ${JSON.stringify(value)})`)
  }
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
  return {
    port: parsed.PORT,
    host: parsed.HOST,
    redisUrl: parsed.REDIS_URL,
    stateTtlSeconds: parsed.STATE_TTL_SECONDS,
    stallAfterSeconds: parsed.STALL_AFTER_SECONDS,
    logLevel: parsed.LOG_LEVEL,
    keyPrefix: parsed.KEY_PREFIX,
    bodyLimitBytes: parsed.BODY_LIMIT_BYTES,
    redisCommandTimeoutMs: parsed.REDIS_COMMAND_TIMEOUT_MS,
    idempotencyTtlSeconds: parsed.IDEMPOTENCY_TTL_SECONDS,
    requirePrecondition: parsed.REQUIRE_PRECONDITION,
    sweepIntervalSeconds: parsed.SWEEP_INTERVAL_SECONDS
  }
}
