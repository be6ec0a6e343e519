/**
 * PATCH with a JSON Merge Patch, without a lost update: read the state, merge, validate the
 * whole result, then write it only if the state is still the one that was read (an internal
 * If-Match inside the atomic write script). If another writer came in between, merge again on
 * its version. The merge runs here rather than in Lua because the result must pass the schema,
 * and Lua's cjson would turn [] into {} and round numbers.
 *
 * Patches of one contact run one after the other within a replica, so a burst of messages to one
 * worker never conflicts with itself; conflicts with other replicas are retried with a random
 * backoff that breaks their lockstep.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { parse, stringify } from 'lossless-json'
import { DocumentTooLargeError, InvalidJsonError, StateUnreadableError } from '../errors.js'
import { checkStateDocument } from './document-rules.js'
import { indexEntryOf } from './index-entry.js'
import { applyMergePatch } from './merge-patch.js'
import { isRefusal, type IdempotencyRequest, type PreconditionFailure, type Preconditions, type RefusedWrite, type StateRepository } from './state-store.js'

/** Writers racing on one contact get this many tries before the client is told to retry. */
export const MAX_PATCH_ATTEMPTS = 10

export interface PatchRequest {
  contactId: string
  /** The merge patch as the client sent it. */
  patchText: string
  preconditions: Preconditions
  idempotency: IdempotencyRequest | null
  requirePrecondition: boolean
}

export type PatchOutcome =
  | { kind: 'replaced', json: string, etag: string, writtenAtMs: number, expiresAtMs: number }
  | { kind: 'not_found' }
  | { kind: 'conflict' }
  | RefusedWrite

// A repeated member name keeps its last value, as JSON.parse (and so validation) read it.
const LAST_WINS = { onDuplicateKey: ({ newValue }: { newValue: unknown }) => newValue }

function parsePatch (text: string): unknown {
  if (text === '') throw new InvalidJsonError('the body is empty')
  try {
    return parse(text, null, LAST_WINS)
  } catch (err) {
    throw new InvalidJsonError((err as Error).message)
  }
}

/** The merged document as text, its contact id first when the merge left none. */
function mergedText (storedJson: string, patch: unknown, contactId: string): string {
  let stored: unknown
  try {
    stored = parse(storedJson, null, LAST_WINS)
  } catch {
    throw new StateUnreadableError(contactId)
  }
  const merged = applyMergePatch(stored, patch)
  const withId = typeof merged === 'object' && merged !== null && !Array.isArray(merged) && !('contact_id' in merged)
    ? { contact_id: contactId, ...merged }
    : merged
  return stringify(withId) ?? 'null'
}

export interface PatcherOptions {
  /** The largest document a patch may produce: what a PUT of it would accept. */
  maxDocumentBytes: number
  /** Called for each merge redone because another writer came in between. */
  onRetry: () => void
}

/** The remembered answer to this request's Idempotency-Key, if there is one. */
async function rememberedAnswer (repository: StateRepository, { contactId, idempotency }: PatchRequest): Promise<RefusedWrite | null> {
  if (idempotency === null) return null
  const remembered = await repository.remembered(contactId, idempotency.key)
  if (remembered === null) return null
  return remembered.fingerprint === idempotency.fingerprint
    ? { kind: 'replay', response: remembered.response }
    : { kind: 'idempotency_mismatch' }
}

async function applyPatch (repository: StateRepository, request: PatchRequest, options: PatcherOptions): Promise<PatchOutcome> {
  const { contactId, preconditions, idempotency } = request
  const earlier = await rememberedAnswer(repository, request)
  if (earlier !== null) return earlier
  const patch = parsePatch(request.patchText)
  // A precondition checked here, outside the write script, may fail because the same request,
  // sent to another replica too, has just been applied: then its replay is the answer.
  const refuse = async (failure: PreconditionFailure): Promise<PatchOutcome> =>
    await rememberedAnswer(repository, request) ?? { kind: 'precondition_failed', failure }
  const clientTags = Array.isArray(preconditions.ifMatch) ? preconditions.ifMatch as readonly string[] : null

  for (let attempt = 1; attempt <= MAX_PATCH_ATTEMPTS; attempt++) {
    const stored = await repository.get(contactId)
    if (stored === null) return preconditions.ifMatch === null ? { kind: 'not_found' } : await refuse('absent')
    if (preconditions.ifNoneMatchAny) return await refuse('exists')
    if (request.requirePrecondition && preconditions.ifMatch === null) return await refuse('required')
    if (clientTags !== null && !clientTags.includes(stored.etag)) return await refuse('stale')

    const json = mergedText(stored.json, patch, contactId)
    // PUT refuses a body this large; a patch must not build a document the bot cannot PUT back.
    if (Buffer.byteLength(json) > options.maxDocumentBytes) throw new DocumentTooLargeError(options.maxDocumentBytes)
    const doc = checkStateDocument(json, contactId)
    const outcome = await repository.put(contactId, json, indexEntryOf(doc), {
      preconditions: { ifMatch: [stored.etag], ifNoneMatchAny: false },
      idempotency
    })
    if (!isRefusal(outcome)) return { ...outcome, kind: 'replaced', json }
    if (outcome.kind !== 'precondition_failed') return outcome
    // Written or deleted since our read: the client's own If-Match has failed, else merge again.
    if (clientTags !== null) return await refuse('stale')
    options.onRetry()
    await sleep(Math.random() * 2 ** attempt)
  }
  return { kind: 'conflict' }
}

export type StatePatcher = (request: PatchRequest) => Promise<PatchOutcome>

export function createStatePatcher (repository: StateRepository, options: PatcherOptions): StatePatcher {
  // The last patch queued for each contact; a new one starts when it has settled.
  const queues = new Map<string, Promise<unknown>>()
  return async (request) => {
    const previous = queues.get(request.contactId) ?? Promise.resolve()
    const current = previous.catch(() => {}).then(async () => await applyPatch(repository, request, options))
    queues.set(request.contactId, current)
    try {
      return await current
    } finally {
      if (queues.get(request.contactId) === current) queues.delete(request.contactId)
    }
  }
}
