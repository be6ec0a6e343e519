/**
 * Redis memory of the service's keys, from MEMORY USAGE (SAMPLES 0: every element counted).
 * A state key is one whose name says `state` and ends with one of the benchmark's contact ids;
 * every other key under the prefix (indexes, counters, locks) is overhead, reported per contact.
 */
import { Redis } from 'ioredis'
import { scanKeys } from '../test/support/scan-keys.js'

export interface MemoryReport {
  stateKey: string
  stateKeyType: string
  stateKeyBytes: number
  stateKeys: number
  otherKeys: number
  otherKeysBytes: number
  otherBytesPerContact: number
  /** The largest non-state keys, for the reader who wants to know where the bytes are. */
  largestOtherKeys: Array<{ key: string, type: string, bytes: number }>
}

async function usage (redis: Redis, keys: string[]): Promise<Array<{ key: string, type: string, bytes: number }>> {
  const out: Array<{ key: string, type: string, bytes: number }> = []
  for (let start = 0; start < keys.length; start += 1000) {
    const batch = keys.slice(start, start + 1000)
    const pipeline = redis.pipeline()
    for (const key of batch) {
      pipeline.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')
      pipeline.type(key)
    }
    const replies = await pipeline.exec() ?? []
    batch.forEach((key, i) => {
      out.push({ key, bytes: Number(replies[2 * i]?.[1] ?? 0), type: String(replies[2 * i + 1]?.[1]) })
    })
  }
  return out
}

export async function measureMemory (redisUrl: string, keyPrefix: string, contacts: number, contactIdPattern: RegExp): Promise<MemoryReport> {
  const redis = new Redis(redisUrl)
  try {
    const isState = (key: string): boolean => key.includes('state') && contactIdPattern.test(key)
    const stateKey = (await scanKeys(redis, `${keyPrefix}*state*`, 5000)).find(isState)
    if (stateKey === undefined) throw new Error(`no state key found under ${keyPrefix}`)
    const [state] = await usage(redis, [stateKey])
    const all = await scanKeys(redis, `${keyPrefix}*`, 5000)
    const others = await usage(redis, all.filter((key) => !isState(key)))
    const otherKeysBytes = others.reduce((sum, { bytes }) => sum + bytes, 0)
    return {
      stateKey,
      stateKeyType: state?.type ?? '?',
      stateKeyBytes: state?.bytes ?? Number.NaN,
      stateKeys: all.length - others.length,
      otherKeys: others.length,
      otherKeysBytes,
      otherBytesPerContact: otherKeysBytes / contacts,
      largestOtherKeys: [...others].sort((a, b) => b.bytes - a.bytes).slice(0, 10)
    }
  } finally {
    redis.disconnect()
  }
}
