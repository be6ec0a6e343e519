/**
 * GET /seller/active/events: the change feed of the active conversations, as Server-Sent Events
 * (@fastify/sse, the Fastify team's plugin). A fresh connection starts with `ready`; one that
 * sends Last-Event-ID first gets every event it missed from the change stream, or `reset` when
 * the stream no longer holds them all. Events come from this replica's one stream reader
 * (plugins/change-feed.ts); each client's writer is bounded (http/feed-writer.ts).
 */
import sseModule, { type fastifySSE } from '@fastify/sse'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ChangeEventSchema, FeedHeadersSchema, FeedQuerySchema } from '../schemas/active-events.js'
import { errorResponses } from '../schemas/common.js'
import type { Temperature } from '../schemas/state-document.js'
import { concerns, type ChangeEvent, type FeedFilters } from '../src/state/change-event.js'
import { FeedWriter } from '../src/http/feed-writer.js'

// An ES import of the package is its CommonJS export, the plugin wrapped by fastify-plugin (so its
// route hook sees this file's route); its types describe that export as a namespace.
const sse = sseModule as unknown as typeof fastifySSE

export interface ActiveEventsOptions {
  heartbeatSeconds: number
  clientBufferBytes: number
}

const activeEventsRoutes: FastifyPluginAsyncTypebox<ActiveEventsOptions> = async (app, opts) => {
  // Event data is JSON made once per event for every client: written as it is.
  await app.register(sse, { heartbeatInterval: opts.heartbeatSeconds * 1000, serializer: (data: string) => data })
  const { metrics } = app.changeFeed

  app.get('/seller/active/events', {
    sse: 'only',
    schema: {
      tags: ['dashboard'],
      summary: 'Change feed of the active conversations (Server-Sent Events)',
      description: 'Events created, updated, deleted and expired, with the conversation\'s listing row; ids are change-stream ids ' +
        '(`<ms>-<seq>`; on a Redis Cluster `<ms>-<seq>-<bucket>`). ' +
        'Send Last-Event-ID to resume. The filters select events whose conversation matches now or matched before the change.',
      querystring: FeedQuerySchema,
      headers: FeedHeadersSchema,
      response: {
        200: {
          description: 'text/event-stream: `id: <event id>`, `event: <kind>`, `data: <JSON>` per event',
          content: { 'text/event-stream': { schema: ChangeEventSchema } }
        },
        ...errorResponses(400, 401, 429, 503)
      }
    }
  }, async (request, reply) => {
    const { temperature, ...rest } = request.query
    const filters: FeedFilters = { ...rest, ...(temperature === undefined ? {} : { temperature: temperature.toUpperCase() as Temperature }) }
    // Nothing is awaited from here to the subscription: the live events it gets are those after `position`.
    const position = await app.changeFeed.position()
    const lastEventId = request.headers['last-event-id']
    const resuming = typeof lastEventId === 'string' && lastEventId !== ''
    const writer = new FeedWriter(reply, opts.clientBufferBytes, () => metrics.cutOff.inc({ reason: 'slow' }), resuming ? '0-0' : position)

    const send = (id: string, event: ChangeEvent, json: string): void => {
      if (!concerns(event, filters)) return
      const before = writer.lastId
      writer.push({ id, event: event.kind, data: json })
      if (writer.lastId !== before && writer.isOpen) metrics.sent.inc({ event: event.kind })
    }
    const reset = (id: string, reason: string): void => writer.pushControl({ id, event: 'reset', data: JSON.stringify({ reason }) })

    // Live events wait in the writer behind the catch-up; its lastId drops repeats.
    const pending: Array<[string, ChangeEvent, string]> = []
    let catchingUp = resuming
    const unsubscribe = app.changeFeed.subscribe({
      event: (id, event, json) => catchingUp ? pending.push([id, event, json]) : send(id, event, json),
      reset: (id) => reset(id, 'the service fell behind the change stream'),
      close: () => {
        metrics.cutOff.inc({ reason: 'closing' })
        writer.close()
      }
    })
    reply.sse.onClose(unsubscribe)
    reply.sse.keepAlive()
    reply.sse.sendHeaders()

    if (!resuming) {
      writer.pushControl({ id: position, event: 'ready', data: JSON.stringify({ position }) })
      return
    }
    try {
      const missed = await app.changeFeed.since(lastEventId, position)
      if (missed === null) {
        reset(position, 'the events after Last-Event-ID are no longer held')
      } else {
        writer.lastId = lastEventId
        for await (const { id, event, json } of missed) {
          if (!writer.isOpen) break
          send(id, event, json)
        }
      }
    } catch (err) {
      request.log.warn({ err }, 'Catching up a change feed failed: the client reconnects')
      writer.close()
      return
    }
    catchingUp = false
    for (const [id, event, json] of pending.splice(0)) send(id, event, json)
  })
}

export default activeEventsRoutes
