/**
 * PATCH /seller/state/:contactId with a JSON Merge Patch (RFC 7396): lets a bot worker record one
 * answer without a read-modify-write race. Its own plugin, so that only this route accepts
 * `application/merge-patch+json`.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { ContactIdParamsSchema, DocumentHeaders, errorResponses, withHeaders, WriteHeadersSchema } from '../schemas/common.js'
import { StateDocumentSchema } from '../schemas/state-document.js'
import { StateNotFoundError, WriteConflictError } from '../src/errors.js'
import { parseWritePreconditions } from '../src/http/entity-tags.js'
import { idempotencyOf } from '../src/http/idempotency.js'
import { registerJsonBodyParser } from '../src/http/json-body.js'
import { MERGE_PATCH_MEDIA_TYPE } from '../src/http/instructive-messages.js'
import { answerRefusal, sendDocument } from '../src/http/responses.js'
import { createStatePatcher } from '../src/state/state-patcher.js'

const statePatchRoutes: FastifyPluginAsyncTypebox = async (app) => {
  registerJsonBodyParser(app, [MERGE_PATCH_MEDIA_TYPE])
  const patchState = createStatePatcher(app.stateRepository, {
    maxDocumentBytes: app.config.bodyLimitBytes,
    onRetry: () => app.metrics.patchRetries.inc()
  })

  app.patch('/seller/state/:contactId', {
    schema: {
      tags: ['state'],
      operationId: 'patchState',
      summary: 'Change some fields of a state with a JSON Merge Patch, atomically',
      description: 'null removes a field, objects merge, anything else replaces. The merged document is validated as a whole.',
      params: ContactIdParamsSchema,
      headers: WriteHeadersSchema,
      body: Type.Unknown({ description: 'A JSON Merge Patch (RFC 7396)' }),
      response: { 200: withHeaders(StateDocumentSchema, DocumentHeaders), ...errorResponses(400, 401, 403, 404, 409, 412, 413, 415, 422, 428, 429, 500, 503) }
    }
  }, async (request, reply) => {
    const { contactId } = request.params
    const idempotency = idempotencyOf(request)
    const outcome = await patchState({
      contactId,
      patchText: request.rawBody,
      preconditions: parseWritePreconditions(request.headers['if-match'], request.headers['if-none-match']),
      idempotency,
      requirePrecondition: app.config.requirePrecondition
    })
    switch (outcome.kind) {
      case 'replaced': return sendDocument(reply, outcome)
      case 'not_found': throw new StateNotFoundError(contactId)
      case 'conflict': throw new WriteConflictError(contactId)
      default: return answerRefusal(reply, contactId, outcome, idempotency?.key)
    }
  })
}

export default statePatchRoutes
