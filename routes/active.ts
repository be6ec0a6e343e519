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
  }, async (request) => {
    const { view, temperature, ...selection } = request.query
    const { conversations, skipped } = await loadConversations()
    const page = selectPage(conversations, {
      ...selection,
      ...(temperature === undefined ? {} : { temperature: temperature.toUpperCase() as Temperature })
    })
    const { items, ...paging } = page
    return {
      conversations: items.map((item) => view === 'full' ? { ...item.summary, document: item.document } : item.summary),
      ...paging,
      skipped_unreadable: skipped
    }
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
