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
import { ConcurrencyGate } from '../src/http/concurrency-gate.js'
import { ExpensiveReadsBusyError, ExpensiveReadsLimitedError } from '../src/errors.js'
import { RETRY_AFTER_SECONDS } from '../src/plugins/error-handler.js'
import type { FastifyBaseLogger, FastifyReply } from 'fastify'
import type { Static } from '@sinclair/typebox'

type ActiveQuery = Static<typeof ActiveQuerySchema>

// From this offset on a page is deep: a merge walk of up to MAX_PAGE_WALK entries in Redis.
const DEEP_OFFSET = 500
// A larger page reads, parses and sends that many documents.
const LARGE_PAGE = 50

/**
 * The reads whose cost the client chooses: a search reads every candidate, a deep page walks
 * the indexes, a large page reads and summarizes many documents, view=full sends them whole;
 * and a sort by conversation_started with a filter reads every candidate too.
 */
function isExpensive (query: ActiveQuery): boolean {
  const filtered = query.location_id !== undefined || query.stage !== undefined || query.temperature !== undefined || query.stalled !== undefined
  return query.q !== undefined || query.view === 'full' || query.page_size > LARGE_PAGE || (query.page - 1) * query.page_size >= DEEP_OFFSET ||
    (query.sort === 'conversation_started' && filtered)
}

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
  const expensiveReads = new ConcurrencyGate(app.config.expensiveReadsPerReplica, app.config.expensiveReadsPerToken)

  async function list (query: ActiveQuery, reply: FastifyReply, log: FastifyBaseLogger): Promise<Static<typeof ActivePageSchema> | FastifyReply> {
    const { view, ...selection } = query
    const { items, unreadable, unindexed, ...paging } = await listActive(app.listingRepository, selection, Date.now(), stallAfterMs)
    if (unreadable.length > 0) {
      app.metrics.unreadableStates.inc({ operation: 'list' }, unreadable.length)
      log.warn({ contactIds: unreadable.slice(0, 20), count: unreadable.length }, 'Skipped unreadable states')
    }
    const answer = { ...paging, skipped_unreadable: unindexed + unreadable.length }
    if (view === 'full') return sendJsonText(reply, fullPage(items, answer))
    return { conversations: items.map((item) => item.summary), ...answer }
  }

  app.get('/seller/active', {
    schema: {
      tags: ['dashboard'],
      operationId: 'listActive',
      summary: 'List active conversations',
      description: 'A search (q), a page 500 conversations deep or more, a page of more than 50, view=full, and a sort by conversation_started with a filter are expensive reads: ' +
        'past EXPENSIVE_READS_PER_TOKEN at once for a token they get 429, past EXPENSIVE_READS_PER_REPLICA 503, both with Retry-After.',
      querystring: ActiveQuerySchema,
      response: { 200: ActivePageSchema, ...errorResponses(400, 401, 429, 503) }
    }
  }, async (request, reply) => {
    if (!isExpensive(request.query)) return await list(request.query, reply, request.log)
    const client = request.tokenId ?? request.ip
    const refused = expensiveReads.enter(client)
    if (refused === 'client') {
      reply.header('retry-after', String(RETRY_AFTER_SECONDS))
      throw new ExpensiveReadsLimitedError(app.config.expensiveReadsPerToken)
    }
    if (refused === 'replica') throw new ExpensiveReadsBusyError()
    try {
      return await list(request.query, reply, request.log)
    } finally {
      expensiveReads.leave(client)
    }
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
