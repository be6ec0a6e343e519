/**
 * What the write path needs of storage, in its own terms: the repository (plugins/
 * state-repository.ts) implements it over Redis; the routes and the PATCH loop use it.
 */
import type { StoredState } from '../redis/state-envelope.js'
import type { IndexEntry } from './index-entry.js'

export type { StoredState } from '../redis/state-envelope.js'

/** A stored state with the contact it belongs to, as a listing reads it. */
export interface ActiveState extends StoredState {
  contactId: string
}

export interface Preconditions {
  /** If-Match: null when absent, '*' or the entity tags any of which must be current. */
  ifMatch: '*' | readonly string[] | null
  /** If-None-Match: * (the write must create). */
  ifNoneMatchAny: boolean
}

/** An Idempotency-Key and the fingerprint of the request that carries it. */
export interface IdempotencyRequest {
  key: string
  fingerprint: string
}

/**
 * The response a write with an Idempotency-Key gave first. `body` is '' where the state has been
 * written since: records keep no copy of a document.
 */
export interface RememberedResponse {
  status: number
  etag: string
  body: string
}

export interface WriteOptions {
  preconditions: Preconditions
  idempotency: IdempotencyRequest | null
}

/** Why a precondition failed: none was given but one is required, the state exists, is absent, or has another ETag. */
export type PreconditionFailure = 'required' | 'exists' | 'absent' | 'stale'

/** What every write may answer besides its own success. */
export type RefusedWrite =
  | { kind: 'precondition_failed', failure: PreconditionFailure }
  | { kind: 'replay', response: RememberedResponse }
  | { kind: 'idempotency_mismatch' }

const REFUSALS: ReadonlySet<string> = new Set(['precondition_failed', 'replay', 'idempotency_mismatch'])

export function isRefusal (outcome: { kind: string }): outcome is RefusedWrite {
  return REFUSALS.has(outcome.kind)
}

export type WriteOutcome = { kind: 'created' | 'replaced', etag: string, writtenAtMs: number, expiresAtMs: number } | RefusedWrite

export type DeleteOutcome = { kind: 'deleted' | 'absent' } | RefusedWrite

export interface StateRepository {
  get: (contactId: string) => Promise<StoredState | null>
  /** Writes the document and puts it where `entry` says in the listing indexes, in one step. */
  put: (contactId: string, json: string, entry: IndexEntry, options: WriteOptions) => Promise<WriteOutcome>
  delete: (contactId: string, options: WriteOptions) => Promise<DeleteOutcome>
  /** The response remembered for an Idempotency-Key, with the fingerprint of its request. */
  remembered: (contactId: string, key: string) => Promise<{ fingerprint: string, response: RememberedResponse } | null>
}
