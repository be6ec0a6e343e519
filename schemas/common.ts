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

// One typical answer per status, for the API documentation.
const ERROR_EXAMPLES: Record<number, { error: string, code: string, message: string }> = {
  400: { error: 'Bad Request', code: 'FST_ERR_VALIDATION', message: 'body/stage Expected one of Q0, Q1, Q2, Q3, Q4, QUALIFIED, STALLED' },
  401: { error: 'Unauthorized', code: 'UNAUTHORIZED', message: 'Authentication required: send Authorization: Bearer <token>' },
  403: { error: 'Forbidden', code: 'FORBIDDEN', message: 'This token may only read: writes need a write token' },
  404: { error: 'Not Found', code: 'STATE_NOT_FOUND', message: 'No state stored for contact c_8f2k3LmQ; PUT a state to create it' },
  409: { error: 'Conflict', code: 'WRITE_CONFLICT', message: 'The state of contact c_8f2k3LmQ kept changing while the patch was applied; retry' },
  412: { error: 'Precondition Failed', code: 'PRECONDITION_FAILED', message: 'Precondition failed: the state of contact c_8f2k3LmQ has changed since the ETag given in If-Match' },
  413: { error: 'Payload Too Large', code: 'FST_ERR_CTP_BODY_TOO_LARGE', message: 'Request body is too large' },
  415: { error: 'Unsupported Media Type', code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', message: 'Unsupported Media Type' },
  422: { error: 'Unprocessable Entity', code: 'IDEMPOTENCY_KEY_REUSED', message: 'Idempotency-Key SM123 was already used for a different request to this contact' },
  428: { error: 'Precondition Required', code: 'PRECONDITION_REQUIRED', message: 'Precondition required: this service requires If-Match to change the existing state of contact c_8f2k3LmQ' },
  429: { error: 'Too Many Requests', code: 'RATE_LIMITED', message: 'Too many requests for this token; retry in 1 minute' },
  500: { error: 'Internal Server Error', code: 'STATE_UNREADABLE', message: 'The stored state of contact c_8f2k3LmQ is not readable; a PUT replaces it' },
  503: { error: 'Service Unavailable', code: 'REDIS_UNAVAILABLE', message: 'Storage is unavailable; retry shortly' }
}

/** The error schema under each of these status codes, with an example, for a route's `response`. */
export const errorResponses = (...codes: number[]): Record<number, TSchema> => {
  const { $id: _shared, ...error } = ErrorResponseSchema
  return Object.fromEntries(codes.map((code) => [code, { ...error, examples: [{ statusCode: code, ...ERROR_EXAMPLES[code] }] }]))
}

/** A response schema with the headers it comes with, as the API documentation shows them. */
export const withHeaders = <T extends TSchema>(schema: T, headers: Record<string, TSchema>): T => ({ ...schema, headers })

/** The headers of an answer that carries a stored document. */
export const DocumentHeaders = {
  etag: Type.String({ description: 'Entity tag of this version: send it back in If-Match', examples: ['"uI7GpdypMQxpm1klbdNAqMbm67U"'] }),
  'last-modified': Type.String({ description: 'Time of the last write' }),
  'x-expires-at': Type.String({ description: 'When the state expires unless written again (ISO-8601)', examples: ['2026-12-03T08:18:40.318+00:00'] })
}

/** The headers a write understands. */
export const WriteHeadersSchema = Type.Object({
  'if-match': Type.Optional(Type.String({ description: 'Write only if the state has one of these ETags (or exists, for *)' })),
  'if-none-match': Type.Optional(Type.String({ description: '* : write only if the contact has no state' })),
  'idempotency-key': Type.Optional(Type.String({ description: 'A repeat within IDEMPOTENCY_TTL_SECONDS replays the first response (the bot sends the inbound SMS id)' }))
})
