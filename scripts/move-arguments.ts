/**
 * The command line of `npm run move-to-cluster`, checked before anything connects: a mistake exits
 * with 2 and a message that names the argument.
 */
import { parseArgs } from 'node:util'
import { EnvSchema, parseNodes, type RedisNode } from '../src/config.js'

export const USAGE = 'usage: npm run move-to-cluster -- --from <redis-url> --to <host:port,...> [--prefix seller:] [--buckets 6] [--batch 500]'

export interface MoveArguments {
  from: string
  to: RedisNode[]
  prefix: string
  buckets: number
  batch: number
}

export class ArgumentError extends Error {
  override name = 'ArgumentError'
}

// The service's own limits (config.ts), so that what moves is what it can run on.
const { minimum: MIN_BUCKETS = 1, maximum: MAX_BUCKETS = 1, default: DEFAULT_BUCKETS } = EnvSchema.properties.REDIS_CLUSTER_BUCKETS
const { minLength: MIN_PREFIX = 1, maxLength: MAX_PREFIX = 1, default: DEFAULT_PREFIX } = EnvSchema.properties.KEY_PREFIX

function integer (name: string, value: string, min: number, max: number): number {
  const number = Number(value)
  if (!/^\d+$/.test(value) || number < min || number > max) throw new ArgumentError(`${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})`)
  return number
}

export function parseMoveArguments (argv: string[]): MoveArguments {
  let values
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        prefix: { type: 'string', default: String(DEFAULT_PREFIX) },
        buckets: { type: 'string', default: String(DEFAULT_BUCKETS) },
        batch: { type: 'string', default: '500' }
      }
    }))
  } catch (err) {
    throw new ArgumentError((err as Error).message)
  }
  if (values.from === undefined) throw new ArgumentError('--from is required: the single Redis to copy from, as redis://host:port')
  // Credentials stay out of the message.
  if (!/^rediss?:\/\/[^\s]+$/.test(values.from)) throw new ArgumentError('--from must be a redis:// or rediss:// URL')
  if (values.to === undefined) throw new ArgumentError('--to is required: seed nodes of the cluster, as host:port,host:port')
  let to: RedisNode[]
  try {
    to = parseNodes('--to', values.to)
  } catch (err) {
    // A ConfigError, worded for the environment variable it usually checks.
    throw new ArgumentError((err as Error).message.replace(/^Invalid configuration: /, ''))
  }
  const prefix = values.prefix
  // The cluster's key names put the bucket's hash tag after the prefix (keys.ts).
  if (prefix.length < MIN_PREFIX || prefix.length > MAX_PREFIX || /[{}]/.test(prefix)) {
    throw new ArgumentError(`--prefix must be ${MIN_PREFIX}-${MAX_PREFIX} characters without { or } (got ${JSON.stringify(prefix)})`)
  }
  return {
    from: values.from,
    to,
    prefix,
    buckets: integer('--buckets', values.buckets, MIN_BUCKETS, MAX_BUCKETS),
    batch: integer('--batch', values.batch, 1, 10_000)
  }
}
