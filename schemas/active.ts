/**
 * GET /seller/active (the dashboard's table) and GET /seller/active/summary (its header counts).
 */
import { Type, type TSchema } from '@sinclair/typebox'
import { ContactIdSchema, LocationIdSchema, Nullable } from './common.js'
import { STAGES, StageSchema, TEMPERATURES, TemperatureSchema } from './state-document.js'

/** Query strings accept each enumerated value in any letter case (src/http/query-spelling.ts). */
const anyCase = <T extends TSchema>(schema: T, description?: string): T =>
  ({ ...schema, description: `${description === undefined ? '' : `${description}; `}any letter case` })

export const ActiveQuerySchema = Type.Object({
  location_id: Type.Optional(LocationIdSchema),
  stage: Type.Optional(anyCase(StageSchema)),
  temperature: Type.Optional(anyCase(TemperatureSchema)),
  stalled: Type.Optional(Type.Boolean({ description: 'true: only stalled conversations; false: none of them' })),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Case-insensitive search in seller_name, property_address and contact_id' })),
  sort: anyCase(Type.Union([
    Type.Literal('last_activity'), Type.Literal('conversation_started'), Type.Literal('stage'), Type.Literal('temperature')
  ], { default: 'last_activity' })),
  order: anyCase(Type.Union([Type.Literal('asc'), Type.Literal('desc')], { default: 'desc' })),
  page: Type.Integer({ minimum: 1, maximum: 100000, default: 1, description: '1-based page number' }),
  cursor: Type.Optional(Type.String({
    pattern: '^[A-Za-z0-9_-]{1,512}$',
    description: 'next_cursor of the previous page: continues after its last conversation, whatever moved meanwhile (page is then ignored)'
  })),
  page_size: Type.Integer({ minimum: 1, maximum: 200, default: 20 }),
  view: anyCase(Type.Union([Type.Literal('summary'), Type.Literal('full')], { default: 'summary' }), 'full adds the whole document to each item')
}, { additionalProperties: false, description: 'A parameter given empty is not given' })

export const ConversationSummarySchema = Type.Object({
  contact_id: ContactIdSchema,
  location_id: Type.String(),
  seller_name: Nullable(Type.String()),
  property_address: Nullable(Type.String()),
  stage: StageSchema,
  temperature: TemperatureSchema,
  current_question: Type.Integer(),
  questions_answered: Type.Integer(),
  is_qualified: Type.Boolean(),
  is_stalled: Type.Boolean({ description: 'Not qualified and no activity for STALL_AFTER_SECONDS' }),
  condition: Nullable(Type.String()),
  price_expectation: Nullable(Type.Integer()),
  motivation: Nullable(Type.String()),
  urgency: Nullable(Type.String()),
  last_activity: Type.String({ description: 'last_interaction, or the time of the last write; always with an offset' }),
  conversation_started: Type.String({ description: 'As the bot sent it' }),
  expires_at: Nullable(Type.String({ description: 'When the state expires unless written again' })),
  document: Type.Optional(Type.Object({}, { additionalProperties: true, description: 'The whole document (view=full)' }))
})

export const ActivePageSchema = Type.Object({
  conversations: Type.Array(ConversationSummarySchema),
  total_count: Type.Integer(),
  page: Type.Integer(),
  page_size: Type.Integer(),
  total_pages: Type.Integer(),
  has_next: Type.Boolean(),
  has_prev: Type.Boolean(),
  next_cursor: Nullable(Type.String({ description: 'Pass as cursor for the next page; null on the last page and for q searches' })),
  skipped_unreadable: Type.Integer({ description: 'Active contacts left out because their stored value is not readable' })
})

export const SummaryQuerySchema = Type.Object({
  location_id: Type.Optional(LocationIdSchema)
}, { additionalProperties: false })

const countsOf = (names: readonly string[]) =>
  Type.Object(Object.fromEntries(names.map((name) => [name, Type.Integer({ minimum: 0 })])))

export const ActiveSummarySchema = Type.Object({
  total: Type.Integer({ minimum: 0 }),
  by_stage: countsOf(STAGES),
  by_temperature: countsOf(TEMPERATURES),
  qualified: Type.Integer({ minimum: 0 }),
  stalled: Type.Integer({ minimum: 0, description: 'Conversations with is_stalled' }),
  skipped_unreadable: Type.Integer({ minimum: 0 })
})
