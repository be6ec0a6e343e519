/**
 * Fills a Redis (single node or cluster) with contacts straight through the write script the
 * service uses (write-state.lua), many writes in flight: far faster than HTTP for the sizes the
 * move to a cluster is timed at, and the same stored layout.
 */
import type { RedisClient } from '../src/redis/client.js'
import type { KeySpace } from '../src/redis/keys.js'
import { defineScripts, writeState } from '../src/redis/scripts.js'
import { ENVELOPE_VERSION } from '../src/redis/state-envelope.js'
import { entryOf } from '../src/plugins/index-maintenance.js'
import { entityTag } from '../src/plugins/state-repository.js'
import { metaValue } from '../src/state/index-entry.js'
import { listingContactId } from './populate.js'
import { pythonJson, stateDocument } from './state-doc.js'

const IN_FLIGHT = 500
const STATE_TTL_MS = 604_800_000

async function writeOne (redis: RedisClient, keys: KeySpace, index: number, nowMs: number): Promise<void> {
  const contactId = listingContactId(index)
  const document = pythonJson(stateDocument(contactId, index, nowMs))
  const entry = entryOf(document)
  if (entry === null) throw new Error(`the generated document of ${contactId} is not one the service reads`)
  const bucket = keys.of(contactId)
  const reply = await writeState(redis, {
    bucket,
    contactId,
    recordKey: bucket.idempotency(contactId, ''),
    place: bucket.place(metaValue(entry)),
    was: null,
    deadlineMs: Date.now() + 60_000,
    document,
    etag: entityTag(document),
    ttlMs: STATE_TTL_MS,
    envelopeVersion: ENVELOPE_VERSION,
    lastActivityMs: entry.lastInteractionMs,
    startedMs: entry.conversationStartedMs,
    rowSource: entry.rowSource,
    request: { requirePrecondition: false, fingerprint: '', recordTtlMs: 0, ifNoneMatchAny: false, ifMatch: null }
  })
  if (reply[0] !== 'created') throw new Error(`writing ${contactId}: ${reply.join(' ')}`)
}

/** Creates contacts `from` to `to` - 1 (listingContactId); the client should auto-pipeline. */
export async function populateThroughScripts (redis: RedisClient, keys: KeySpace, from: number, to: number, nowMs: number): Promise<void> {
  defineScripts(redis)
  for (let start = from; start < to; start += IN_FLIGHT) {
    const end = Math.min(start + IN_FLIGHT, to)
    await Promise.all(Array.from({ length: end - start }, async (_, i) => await writeOne(redis, keys, start + i, nowMs)))
  }
}
