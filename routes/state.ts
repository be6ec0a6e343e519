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
import { ContactIdParamsSchema, errorResponses } from '../schemas/common.js'
import { StateDocumentSchema } from '../schemas/state-document.js'
import { PreconditionFailedError, StateNotFoundError } from '../src/errors.js'
import { formatEntityTag, matchesIfNoneMatch, parseWritePreconditions } from '../src/http/entity-tags.js'
import type { PreconditionFailure } from '../src/plugins/state-repository.js'
import { withContactId } from '../src/state/document-json.js'
import { checkDocumentRules } from '../src/state/document-rules.js'

const ConditionalHeadersSchema = Type.Object({
  'if-match': Type.Optional(Type.String({ description: 'Write only if the state has one of these ETags (or exists, for *)' })),
  'if-none-match': Type.Optional(Type.String({ description: 'PUT: * writes only if no state exists. GET: 304 when the ETag matches' }))
})

function preconditionMessage (contactId: string, failure: PreconditionFailure): string {
  switch (failure) {
    case 'exists': return `contact ${contactId} already has a state (If-None-Match: *)`
    case 'absent': return `contact ${contactId} has no state to match (If-Match)`
    case 'stale': return `the state of contact ${contactId} has changed since the ETag given in If-Match`
  }
}

function sendDocument (reply: FastifyReply, json: string, etag: string, writtenAtMs: number): FastifyReply {
  return reply
    .header('etag', formatEntityTag(etag))
    .header('last-modified', new Date(writtenAtMs).toUTCString())
    .header('cache-control', 'no-cache')
    .type('application/json; charset=utf-8')
    .send(json)
}

const stateRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const repository = app.stateRepository

  app.put('/seller/state/:contactId', {
    schema: {
      tags: ['state'],
      summary: 'Create or replace the state of a contact',
      params: ContactIdParamsSchema,
      headers: ConditionalHeadersSchema,
      body: StateDocumentSchema,
      response: { 200: StateDocumentSchema, 201: StateDocumentSchema, ...errorResponses(400, 412, 413, 415, 503) }
    }
  }, async (request, reply) => {
    const { contactId } = request.params
    checkDocumentRules(request.body, contactId)
    const preconditions = parseWritePreconditions(request.headers['if-match'], request.headers['if-none-match'])
    const json = request.body.contact_id === undefined ? withContactId(request.rawBody, contactId) : request.rawBody

    const outcome = await repository.put(contactId, json, preconditions)
    if (outcome.kind === 'precondition_failed') throw new PreconditionFailedError(preconditionMessage(contactId, outcome.failure))
    if (outcome.kind === 'created') reply.code(201).header('location', `/seller/state/${contactId}`)
    return sendDocument(reply, json, outcome.etag, outcome.writtenAtMs)
  })

  app.get('/seller/state/:contactId', {
    schema: {
      tags: ['state'],
      summary: 'Read the state of a contact, exactly as it was stored',
      params: ContactIdParamsSchema,
      headers: ConditionalHeadersSchema,
      response: { 200: StateDocumentSchema, 304: Type.Null({ description: 'Not modified: If-None-Match names the current ETag' }), ...errorResponses(400, 404, 500, 503) }
    }
  }, async (request, reply) => {
    const { contactId } = request.params
    const stored = await repository.get(contactId)
    if (stored === null) throw new StateNotFoundError(contactId)
    if (matchesIfNoneMatch(request.headers['if-none-match'], stored.etag)) {
      return reply.code(304).header('etag', formatEntityTag(stored.etag)).send(null)
    }
    return sendDocument(reply, stored.json, stored.etag, stored.writtenAtMs)
  })

  app.delete('/seller/state/:contactId', {
    schema: {
      tags: ['state'],
      summary: 'Delete the state of a contact (idempotent)',
      params: ContactIdParamsSchema,
      headers: ConditionalHeadersSchema,
      response: { 204: Type.Null({ description: 'Deleted, or there was nothing to delete' }), ...errorResponses(400, 412, 503) }
    }
  }, async (request, reply) => {
    const { contactId } = request.params
    const preconditions = parseWritePreconditions(request.headers['if-match'], request.headers['if-none-match'])
    const outcome = await repository.delete(contactId, preconditions)
    if (outcome.kind === 'precondition_failed') throw new PreconditionFailedError(preconditionMessage(contactId, outcome.failure))
    return reply.code(204).send(null)
  })
}

export default stateRoutes
