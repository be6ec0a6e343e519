/**
 * The hash stored under a state key: the document exactly as the client sent it, wrapped with
 * the service's metadata and a layout version.
 *
 *   doc   the JSON text as received          etag  content hash of doc
 *   at    time of the write, ms since epoch  exp   when the state expires, ms since epoch
 *   v     layout version (1 had no exp)
 *
 * Every layout ever written stays readable: a reader per version turns its fields into the
 * current StoredState, lazily, when the state is read; the next write stores the current layout.
 */
export const ENVELOPE_VERSION = '2'

/** The fields a read asks for, the version last. */
export const ENVELOPE_FIELDS = ['doc', 'etag', 'at', 'exp', 'v'] as const

export interface StoredState {
  /** The document as stored, byte for byte. */
  json: string
  etag: string
  writtenAtMs: number
  /** When the state expires unless written again; null where the layout did not record it. */
  expiresAtMs: number | null
}

export const UNREADABLE = Symbol('unreadable')

type Fields = Array<string | null>
type Reader = (fields: Fields) => StoredState | typeof UNREADABLE

const READERS: Record<string, Reader> = {
  1: ([json, etag, at]) => json == null || etag == null || at == null
    ? UNREADABLE
    : { json, etag, writtenAtMs: Number(at), expiresAtMs: null },
  2: ([json, etag, at, exp]) => json == null || etag == null || at == null || exp == null
    ? UNREADABLE
    : { json, etag, writtenAtMs: Number(at), expiresAtMs: Number(exp) }
}

/**
 * Decodes the fields read with ENVELOPE_FIELDS: null for a missing key, UNREADABLE for a value
 * that is not ours (a hand edit) or comes from a newer version of the service.
 */
export function decodeEnvelope (fields: Fields): StoredState | null | typeof UNREADABLE {
  if (fields.every((field) => field === null)) return null
  const reader = READERS[fields[ENVELOPE_FIELDS.length - 1] ?? '']
  return reader === undefined ? UNREADABLE : reader(fields)
}
