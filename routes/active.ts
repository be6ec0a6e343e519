/**
 * The dashboard's routes: GET /seller/active (filtered, sorted pages) and
 * GET /seller/active/summary (counts by stage and temperature).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ActivePageSchema, ActiveQuerySchema, ActiveSummarySchema, SummaryQuerySchema } from '../schemas/active.js'
import { errorResponses } from '../schemas/common.js'
import type { Temperature } from '../schemas/state-document.js'
import { countConversations, selectPage } from '../src/state/active-listing.js'
import { readConversations, type Conversation } from '../src/state/conversation-summary.js'
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

  /** Every readable active conversation, and how many active contacts could not be read. */
  async function loadConversations (): Promise<{ conversations: Conversation[], skipped: number }> {
    const scan = await app.stateRepository.listActive()
    const { conversations, unreadable } = readConversations(scan.states, Date.now(), stallAfterMs)
    unreadable.push(...scan.unreadable)
    if (unreadable.length > 0) {
      app.metrics.unreadableStates.inc({ operation: 'list' }, unreadable.length)
      app.log.warn({ contactIds: unreadable.slice(0, 20), count: unreadable.length }, 'Skipped unreadable states')
    }
    return { conversations, skipped: unreadable.length }
  }

  app.get('/seller/active', {
    schema: {
      tags: ['dashboard'],
      summary: 'List active conversations',
      querystring: ActiveQuerySchema,
      response: { 200: ActivePageSchema, ...errorResponses(400, 503) }
    }
  }, async (request, reply) => {
    const { view, temperature, ...selection } = request.query
    const { conversations, skipped } = await loadConversations()
    const { items, ...paging } = selectPage(conversations, {
      ...selection,
      ...(temperature === undefined ? {} : { temperature: temperature.toUpperCase() as Temperature })
    })
    if (view === 'full') return sendJsonText(reply, fullPage(items, { ...paging, skipped_unreadable: skipped }))
    return { conversations: items.map((item) => item.summary), ...paging, skipped_unreadable: skipped }
  })

  app.get('/seller/active/summary', {
    schema: {
      tags: ['dashboard'],
      summary: 'Counts of active conversations by stage and temperature',
      querystring: SummaryQuerySchema,
      response: { 200: ActiveSummarySchema, ...errorResponses(400, 503) }
    }
  }, async (request) => {
    const { location_id: locationId } = request.query
    const { conversations, skipped } = await loadConversations()
    const counted = locationId === undefined ? conversations : conversations.filter((c) => c.summary.location_id === locationId)
    return { ...countConversations(counted), skipped_unreadable: skipped }
  })
}

export default activeRoutes
