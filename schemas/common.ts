/**
 * Building blocks shared by the schemas: ids, Python datetimes, nullable values, errors.
 */
import { Type, type TSchema } from '@sinclair/typebox'

export const ID_PATTERN = '^[A-Za-z0-9_-]{1,128}$'

export const ContactIdSchema = Type.String({
  pattern: ID_PATTERN,
  description: 'CRM contact id: 1-128 characters of A-Z a-z 0-9 _ -',
  examples: ['c_8f2k3LmQ']
})

export const LocationIdSchema = Type.String({
  pattern: ID_PATTERN,
  description: 'CRM sub-account (tenant): 1-128 characters of A-Z a-z 0-9 _ -',
  examples: ['loc_7Hq2']
})

/**
 * What Python's `datetime.isoformat()` produces: naive or with an offset (whose seconds Python
 * writes when it has them), with optional fractional seconds. Groups: year, month, day, hour,
 * minute, second, fraction, offset sign, hours, minutes, seconds, fraction. Whether the date
 * exists (no 30 February) is checked by src/state/python-datetime.ts.
 */
export const PYTHON_DATETIME_PATTERN =
  '^(\\d{4})-(\\d{2})-(\\d{2})T(\\d{2}):(\\d{2})(?::(\\d{2})(?:\\.(\\d{1,6}))?)?(?:Z|([+-])(\\d{2}):(\\d{2})(?::(\\d{2})(?:\\.(\\d{1,6}))?)?)?$'

/** Stored and returned byte for byte. */
export const PythonDatetimeSchema = Type.String({
  pattern: PYTHON_DATETIME_PATTERN,
  description: 'ISO-8601 as written by Python isoformat(); naive values are read as UTC',
  examples: ['2026-01-23T10:30:00.123456', '2026-01-23T10:30:00+00:00']
})

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

export const ContactIdParamsSchema = Type.Object({ contactId: ContactIdSchema })

export const ErrorResponseSchema = Type.Object({
  statusCode: Type.Integer(),
  error: Type.String({ description: 'HTTP reason phrase' }),
  message: Type.String({ description: 'What went wrong, naming the field where one is at fault' }),
  code: Type.Optional(Type.String({ description: 'Stable machine-readable code' }))
}, { $id: 'ErrorResponse' })

/** The error schema under each of these status codes, for a route's `response`. */
export const errorResponses = (...codes: number[]) =>
  Object.fromEntries(codes.map((code) => [code, ErrorResponseSchema]))

/** The headers a write understands. */
export const WriteHeadersSchema = Type.Object({
  'if-match': Type.Optional(Type.String({ description: 'Write only if the state has one of these ETags (or exists, for *)' })),
  'if-none-match': Type.Optional(Type.String({ description: '* : write only if the contact has no state' })),
  'idempotency-key': Type.Optional(Type.String({ description: 'A repeat within IDEMPOTENCY_TTL_SECONDS replays the first response (the bot sends the inbound SMS id)' }))
})
