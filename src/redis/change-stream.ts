/**
 * The change stream: one Redis stream entry per change of an active conversation, appended by
 * the same script that makes the change (scripts.ts), so every replica sees every change, and no
 * entry exists for a write that was not done. An entry holds the contact id, the kind, where the
 * contact sits in the indexes (`m`: `<slot>|<location>`, `a`: last activity ms) and, for writes,
 * the row's fields of the document (`r`, row-source.ts), the write and expiry times and where the
 * contact was before (`pm`, `pa`). Never the document itself: entries stay small.
 */
import type { RedisClient } from './client.js'
import { whileAvailable } from './availability.js'
import { compareIds } from './feed-position.js'

/** Entries kept: the stream is trimmed (approximately) past this length... */
export const EVENTS_MAX_LENGTH = 10_000
/** ...and past this age, whichever comes first. */
export const EVENTS_MAX_AGE_MS = 3_600_000

export type ChangeKind = 'created' | 'updated' | 'deleted' | 'expired'

export interface ChangeEntry {
  /** The stream entry id, `<ms>-<seq>` (feed-position.ts makes the event id of it). */
  id: string
  kind: ChangeKind
  contactId: string
  /** `<slot>|<location>` (index-entry.ts) and last activity in ms, now (or last, for removals). */
  meta: string
  activityMs: number | null
  /** Writes only: the row source JSON, the write time and the expiry, where it was before. */
  rowSource?: string
  writtenAtMs?: number
  expiresAtMs?: number
  previousMeta?: string
  previousActivityMs?: number | null
}

const numberOrNull = (text: string | undefined): number | null => text === undefined || text === '' ? null : Number(text)

export function decodeEntry ([id, flat]: [string, string[]]): ChangeEntry {
  const fields = new Map<string, string>()
  for (let i = 0; i < flat.length; i += 2) fields.set(flat[i] as string, flat[i + 1] as string)
  const entry: ChangeEntry = {
    id,
    kind: fields.get('k') as ChangeKind,
    contactId: fields.get('id') ?? '',
    meta: fields.get('m') ?? '',
    activityMs: numberOrNull(fields.get('a'))
  }
  if (fields.has('r')) {
    entry.rowSource = fields.get('r')
    entry.writtenAtMs = Number(fields.get('at'))
    entry.expiresAtMs = Number(fields.get('exp'))
    const previous = fields.get('pm') ?? ''
    if (previous !== '') {
      entry.previousMeta = previous
      entry.previousActivityMs = numberOrNull(fields.get('pa'))
    }
  }
  return entry
}

export interface StreamBounds {
  /** The id of the last entry ever added ('0-0' for none). */
  lastId: string
  /** The oldest entry held; null when the stream is empty. */
  firstId: string | null
  /** Entries held, and entries ever added: the difference were trimmed (or deleted). */
  length: number
  entriesAdded: number
  /** The largest id removed by XDEL ('0-0' for none); trimming does not set it. */
  maxDeletedId: string
}

/** Where the stream stands; a stream never written is empty. */
export async function streamBounds (redis: RedisClient, key: string): Promise<StreamBounds> {
  let info: unknown[]
  try {
    info = await whileAvailable(redis.xinfo('STREAM', key)) as unknown[]
  } catch (err) {
    if ((err as Error).message.includes('no such key')) return { lastId: '0-0', firstId: null, length: 0, entriesAdded: 0, maxDeletedId: '0-0' }
    throw err
  }
  const field = (name: string): unknown => info[info.indexOf(name) + 1]
  const first = field('first-entry') as [string, string[]] | null
  return {
    lastId: String(field('last-generated-id')),
    firstId: first === null ? null : first[0],
    length: Number(field('length')),
    entriesAdded: Number(field('entries-added')),
    maxDeletedId: String(field('max-deleted-entry-id') ?? '0-0')
  }
}

/**
 * Whether a reader at `afterId` may have missed entries the stream no longer holds. Trimming takes
 * the oldest entries, so one past the oldest held has missed nothing; one before it may have (it
 * may also be the entry just before it: a needless reset, never a gap). `named`: `afterId` is an
 * entry of this stream (the reader's last), so one past the last id it ever gave is a stranger's
 * (forged, or from before Redis restarted empty); false when it is a place in the feed's order
 * taken from another bucket's entry (feed-position.ts), which this stream may not have reached.
 */
export function mayHaveMissed (bounds: StreamBounds, afterId: string, named = true): boolean {
  if ((named && compareIds(afterId, bounds.lastId) > 0) || compareIds(afterId, bounds.maxDeletedId) < 0) return true
  if (bounds.entriesAdded === bounds.length) return false
  return bounds.firstId === null ? compareIds(afterId, bounds.lastId) < 0 : compareIds(afterId, bounds.firstId) < 0
}

/** Up to `count` entries from `start` to `end` (XRANGE bounds, '(' exclusive), in order. */
export async function entriesInRange (redis: RedisClient, key: string, start: string, end: string, count: number): Promise<ChangeEntry[]> {
  const raw = await whileAvailable(redis.xrange(key, start, end, 'COUNT', count))
  return raw.map(decodeEntry)
}
