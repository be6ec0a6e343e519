/**
 * The dashboard's routes: GET /seller/active (filtered, sorted pages) and
 * GET /seller/active/summary (counts by stage and temperature).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ActivePageSchema, ActiveQuerySchema, ActiveSummarySchema, SummaryQuerySchema } from '../schemas/active.js'
import { errorResponses } from '../schemas/common.js'
import { listActive, summarizeActive } from '../src/state/active-conversations.js'
import type { Conversation } from '../src/state/conversation-summary.js'
import { sendJsonText } from '../src/http/responses.js'

/**
 * The page with each summary's `document` spliced in as the stored text: the documents reach the
 * dashboard byte for byte, and are never parsed and serialized again (deep nesting, long numbers).
 */
function fullPage (items: Conversation[], paging: Record<string, unknown>): string {
  const conversations = items.map(({ summary, json }) => `${JSON.stringify(summary).slice(0, -1)},"document":${json}}`)
  return `{"conversations":[${conversations.join(',')}],${JSON.stringify(paging).slice(1)}`
}

const activeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const stallAfterMs = app.config.stallAfterSeconds * 1000

  app.get('/seller/active', {
    schema: {
      tags: ['dashboard'],
      operationId: 'listActive',
      summary: 'List active conversations',
      querystring: ActiveQuerySchema,
      response: { 200: ActivePageSchema, ...errorResponses(400, 401, 429, 503) }
    }
  }, async (request, reply) => {
    const { view, ...selection } = request.query
    const { items, unreadable, unindexed, ...paging } = await listActive(app.listingRepository, selection, Date.now(), stallAfterMs)
    if (unreadable.length > 0) {
      app.metrics.unreadableStates.inc({ operation: 'list' }, unreadable.length)
      request.log.warn({ contactIds: unreadable.slice(0, 20), count: unreadable.length }, 'Skipped unreadable states')
    }
    const answer = { ...paging, skipped_unreadable: unindexed + unreadable.length }
    if (view === 'full') return sendJsonText(reply, fullPage(items, answer))
    return { conversations: items.map((item) => item.summary), ...answer }
  })

  app.get('/seller/active/summary', {
    schema: {
      tags: ['dashboard'],
      operationId: 'getSummary',
      summary: 'Counts of active conversations by stage and temperature',
      querystring: SummaryQuerySchema,
      response: { 200: ActiveSummarySchema, ...errorResponses(400, 401, 429, 503) }
    }
  }, async (request) => {
    const { unindexed, ...counts } = await summarizeActive(app.listingRepository, request.query.location_id, Date.now(), stallAfterMs)
    return { ...counts, skipped_unreadable: unindexed }
  })
}

export default activeRoutes
