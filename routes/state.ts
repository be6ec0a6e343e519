/**
 * The bot's routes: PUT, GET and DELETE /seller/state/:contactId.
 *
 * The document travels as text: PUT stores the body exactly as sent and GET sends the stored
 * text back without parsing it, so Python isoformat strings and unknown fields survive byte for
 * byte. Version and write time travel in the ETag and Last-Modified headers.
 */
import type { FastifyReply } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { ContactIdParamsSchema, DocumentHeaders, errorResponses, withHeaders, WriteHeadersSchema } from '../schemas/common.js'
import { StateDocumentSchema } from '../schemas/state-document.js'
import { DocumentTooLargeError, StateNotFoundError } from '../src/errors.js'
import { formatEntityTag, matchesIfNoneMatch, parseWritePreconditions } from '../src/http/entity-tags.js'
import { idempotencyOf } from '../src/http/idempotency.js'
import { answerRefusal, sendDocument, stateLocation } from '../src/http/responses.js'
import { withContactId } from '../src/state/document-json.js'
import { checkDocumentRules } from '../src/state/document-rules.js'
import { indexEntryOf } from '../src/state/index-entry.js'
import { isRefusal } from '../src/state/state-store.js'

const stateRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const repository = app.stateRepository

  app.put('/seller/state/:contactId', {
    schema: {
      tags: ['state'],
      operationId: 'putState',
      summary: 'Create or replace the state of a contact',
      params: ContactIdParamsSchema,
      headers: WriteHeadersSchema,
      body: StateDocumentSchema,
      response: { 200: withHeaders(StateDocumentSchema, DocumentHeaders), 201: withHeaders(StateDocumentSchema, DocumentHeaders), ...errorResponses(400, 401, 403, 412, 413, 415, 422, 428, 429, 503) }
    }
  }, async (request, reply) => {
    const { contactId } = request.params
    const json = request.body.contact_id === undefined ? withContactId(request.rawBody, contactId) : request.rawBody
    // A contact_id added from the path must not grow the document past what the bot can PUT back after a GET.
    if (request.body.contact_id === undefined && Buffer.byteLength(json) > app.config.bodyLimitBytes) {
      throw new DocumentTooLargeError(app.config.bodyLimitBytes)
    }
    checkDocumentRules(request.body, request.topLevelNumbers ?? new Map(), contactId)
    const preconditions = parseWritePreconditions(request.headers['if-match'], request.headers['if-none-match'])
    const idempotency = idempotencyOf(request)

    const outcome = await repository.put(contactId, json, indexEntryOf(request.body), { preconditions, idempotency })
    // A replay's request is the first one (its fingerprint matched): so is the document it stored.
    if (outcome.kind === 'replay') return answerRefusal(reply, contactId, { ...outcome, response: { ...outcome.response, body: json } }, idempotency?.key)
    if (isRefusal(outcome)) return answerRefusal(reply, contactId, outcome, idempotency?.key)
    if (outcome.kind === 'created') reply.code(201).header('location', stateLocation(contactId))
    return sendDocument(reply, { json, ...outcome })
  })

  app.get('/seller/state/:contactId', {
    schema: {
      tags: ['state'],
      operationId: 'getState',
      summary: 'Read the state of a contact, exactly as it was stored',
      params: ContactIdParamsSchema,
      headers: Type.Object({
        'if-none-match': Type.Optional(Type.String({ description: '304 when it names the current ETag' }))
      }),
      response: { 200: withHeaders(StateDocumentSchema, DocumentHeaders), 304: Type.Null({ description: 'Not modified: If-None-Match names the current ETag' }), ...errorResponses(400, 401, 404, 429, 500, 503) }
    }
  }, async (request, reply) => {
    const { contactId } = request.params
    const stored = await repository.get(contactId)
    if (stored === null) throw new StateNotFoundError(contactId)
    if (matchesIfNoneMatch(request.headers['if-none-match'], stored.etag)) {
      // Nothing is sent, not even null: a 304 has no Content-Type nor Content-Length (RFC 9110
      // 8.6), but the Cache-Control of the 200 (15.4.5). Widened: the 304's type (null) wants a payload.
      const notModified: FastifyReply = reply
      return notModified.code(304).header('etag', formatEntityTag(stored.etag)).header('cache-control', 'no-cache').send()
    }
    return sendDocument(reply, stored)
  })

  app.delete('/seller/state/:contactId', {
    schema: {
      tags: ['state'],
      operationId: 'deleteState',
      summary: 'Delete the state of a contact (idempotent)',
      params: ContactIdParamsSchema,
      headers: WriteHeadersSchema,
      response: { 204: Type.Null({ description: 'Deleted, or there was nothing to delete' }), ...errorResponses(400, 401, 403, 412, 422, 428, 429, 503) }
    }
  }, async (request, reply) => {
    const { contactId } = request.params
    const preconditions = parseWritePreconditions(request.headers['if-match'], request.headers['if-none-match'])
    const idempotency = idempotencyOf(request)
    const outcome = await repository.delete(contactId, { preconditions, idempotency })
    if (isRefusal(outcome)) return answerRefusal(reply, contactId, outcome, idempotency?.key)
    return reply.code(204).send(null)
  })
}

export default stateRoutes
