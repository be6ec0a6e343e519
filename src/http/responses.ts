/**
 * How the state routes answer: the stored document with its metadata headers, and the refusals
 * every write shares (preconditions, Idempotency-Key reuse, replays).
 */
import type { FastifyReply } from 'fastify'
import { IdempotencyKeyReusedError, PreconditionFailedError, PreconditionRequiredError } from '../errors.js'
import type { PreconditionFailure, RefusedWrite, StoredState } from '../state/state-store.js'
import { formatEpochMs } from '../state/python-datetime.js'
import { formatEntityTag } from './entity-tags.js'

export function stateLocation (contactId: string): string {
  return `/seller/state/${contactId}`
}

/** Sends JSON that is already text: stored documents go out without a parse and a serialization. */
export function sendJsonText (reply: FastifyReply, json: string): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(json)
}

/** The document as stored, its metadata in headers: ETag, Last-Modified and X-Expires-At. */
export function sendDocument (reply: FastifyReply, { json, etag, writtenAtMs, expiresAtMs }: StoredState): FastifyReply {
  if (expiresAtMs !== null) reply.header('x-expires-at', formatEpochMs(expiresAtMs))
  reply
    .header('etag', formatEntityTag(etag))
    .header('last-modified', new Date(writtenAtMs).toUTCString())
    .header('cache-control', 'no-cache')
  return sendJsonText(reply, json)
}

function preconditionError (contactId: string, failure: PreconditionFailure): Error {
  switch (failure) {
    case 'required': return new PreconditionRequiredError(`this service requires If-Match to change the existing state of contact ${contactId}; GET it and send its ETag in If-Match`)
    case 'exists': return new PreconditionFailedError(`contact ${contactId} already has a state (If-None-Match: *); GET it and send its ETag in If-Match to replace it`)
    case 'absent': return new PreconditionFailedError(`contact ${contactId} has no state to match (If-Match); send If-None-Match: * to create it`)
    case 'stale': return new PreconditionFailedError(`the state of contact ${contactId} has changed since the ETag given in If-Match; GET it again and send its new ETag`)
  }
}

/** Throws the error of a refused write, or sends the remembered response of a replay. */
export function answerRefusal (reply: FastifyReply, contactId: string, refusal: RefusedWrite, idempotencyKey: string | undefined): FastifyReply {
  switch (refusal.kind) {
    case 'precondition_failed': throw preconditionError(contactId, refusal.failure)
    case 'idempotency_mismatch': throw new IdempotencyKeyReusedError(idempotencyKey ?? '')
    case 'replay': {
      const { status, etag, body } = refusal.response
      reply.server.metrics.idempotentReplays.inc()
      reply.code(status).header('idempotent-replayed', 'true')
      if (status === 201) reply.header('location', stateLocation(contactId))
      if (etag !== '') reply.header('etag', formatEntityTag(etag))
      return body === '' ? reply.send() : sendJsonText(reply, body)
    }
  }
}
