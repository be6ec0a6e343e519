/**
 * The bot's qualification state, field for field its Python dataclass (snake_case).
 * Known fields are type-checked; unknown top-level fields are allowed and kept.
 */
import { Type, type Static } from '@sinclair/typebox'
import { ContactIdSchema, LocationIdSchema, Nullable, PythonDatetimeSchema } from './common.js'

export const STAGES = ['Q0', 'Q1', 'Q2', 'Q3', 'Q4', 'QUALIFIED', 'STALLED'] as const
export const TEMPERATURES = ['COLD', 'WARM', 'HOT'] as const
export type Stage = typeof STAGES[number]
export type Temperature = typeof TEMPERATURES[number]

export const StageSchema = Type.Union(STAGES.map((stage) => Type.Literal(stage)))
export const TemperatureSchema = Type.Union(TEMPERATURES.map((temperature) => Type.Literal(temperature)))

const anyCase = (word: string): string => [...word].map((letter) => `[${letter}${letter.toLowerCase()}]`).join('')

/** A temperature as clients write it: HOT, WARM or COLD in any letter case. */
export const TemperatureInputSchema = Type.String({
  pattern: `^(${TEMPERATURES.map(anyCase).join('|')})$`,
  description: 'HOT, WARM or COLD in any letter case'
})

const QuestionCountSchema = Type.Integer({ minimum: 0, maximum: 4 })

export const StateDocumentSchema = Type.Object({
  contact_id: Type.Optional(ContactIdSchema),
  location_id: LocationIdSchema,
  current_question: QuestionCountSchema,
  questions_answered: QuestionCountSchema,
  is_qualified: Type.Boolean(),
  stage: StageSchema,
  condition: Nullable(Type.String()),
  price_expectation: Nullable(Type.Integer({ minimum: 0, description: 'Dollars' })),
  motivation: Nullable(Type.String()),
  urgency: Nullable(Type.String()),
  offer_accepted: Nullable(Type.Boolean()),
  timeline_acceptable: Nullable(Type.Boolean()),
  scheduling_offered: Type.Boolean(),
  appointment_booked: Type.Boolean(),
  appointment_id: Nullable(Type.String()),
  conversation_history: Type.Array(Type.Object({}, { additionalProperties: true })),
  extracted_data: Type.Object({}, { additionalProperties: true }),
  last_interaction: Nullable(PythonDatetimeSchema),
  conversation_started: PythonDatetimeSchema,
  temperature: Type.Optional(Nullable(TemperatureInputSchema)),
  seller_name: Type.Optional(Nullable(Type.String())),
  property_address: Type.Optional(Nullable(Type.String()))
}, {
  additionalProperties: true,
  description: 'The qualification state; unknown top-level fields are kept as sent'
})

export type StateDocument = Static<typeof StateDocumentSchema>
