/**
 * GET /seller/active/events: the change feed's filters and the events it sends (Server-Sent
 * Events; see the README's "Change feed").
 */
import { Type } from '@sinclair/typebox'
import { ActiveQuerySchema, ConversationSummarySchema } from './active.js'
import { ContactIdSchema, Nullable } from './common.js'

const { location_id: locationId, stage, temperature, stalled } = ActiveQuerySchema.properties

export const FeedQuerySchema = Type.Object({
  location_id: locationId,
  stage,
  temperature,
  stalled
}, { additionalProperties: false })

export const FeedHeadersSchema = Type.Object({
  'last-event-id': Type.Optional(Type.String({
    description: 'The id of the last event received: the feed first sends every later event, or reset when the stream no longer holds them all'
  }))
})

export const ListingPositionSchema = Type.Object({
  contact_id: ContactIdSchema,
  location_id: Type.String(),
  stage: ConversationSummarySchema.properties.stage,
  temperature: ConversationSummarySchema.properties.temperature,
  is_qualified: Type.Boolean(),
  is_stalled: Type.Boolean(),
  last_activity: Nullable(Type.String())
}, { description: 'Where a conversation sat in the listing: the fields the filters look at' })

export const ChangeEventSchema = Type.Object({
  kind: Type.Union(['created', 'updated', 'deleted', 'expired'].map((kind) => Type.Literal(kind))),
  contact_id: ContactIdSchema,
  row: Type.Union([ConversationSummarySchema, ListingPositionSchema], {
    description: 'created/updated: the listing row, as an item of GET /seller/active; deleted/expired: where it was'
  }),
  previous: Type.Union([ListingPositionSchema, Type.Null()], { description: 'updated: where the conversation was before this write' })
}, {
  description: 'The data of the events created, updated, deleted and expired. Also sent: ready ({position}) on a fresh connection, ' +
    'reset ({reason}: reload the listing, then keep reading) when the events missed are no longer held; comment lines as heartbeats'
})
