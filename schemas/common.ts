/**
 * Building blocks shared by the schemas: ids, Python datetimes, nullable values, errors.
 */
import { STATUS_CODES } from 'node:http'
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

// One typical answer per status, for the API documentation (test/docs/error-codes.test.ts
// checks each against errors.ts and the README).
const ERROR_EXAMPLES: Record<number, { code: string, message: string }> = {
  400: { code: 'FST_ERR_VALIDATION', message: 'body/stage Expected one of Q0, Q1, Q2, Q3, Q4, QUALIFIED, STALLED' },
  401: { code: 'UNAUTHORIZED', message: 'Authentication required: send Authorization: Bearer <token>' },
  403: { code: 'FORBIDDEN', message: 'This token may only read: send a write token for PUT, PATCH and DELETE' },
  404: { code: 'STATE_NOT_FOUND', message: 'No state stored for contact c_8f2k3LmQ; PUT a state to create it' },
  409: { code: 'WRITE_CONFLICT', message: 'The state of contact c_8f2k3LmQ kept changing while the patch was applied; retry' },
  412: { code: 'PRECONDITION_FAILED', message: 'Precondition failed: the state of contact c_8f2k3LmQ has changed since the ETag given in If-Match; GET it again and send its new ETag' },
  413: { code: 'FST_ERR_CTP_BODY_TOO_LARGE', message: 'The body is larger than 262144 bytes: send a smaller document' },
  415: { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', message: 'Content-Type text/plain is not accepted: send the document as JSON with Content-Type: application/json' },
  422: { code: 'IDEMPOTENCY_KEY_REUSED', message: 'Idempotency-Key SM123 was already used for a different request to this contact; send a new key for a new request' },
  428: { code: 'PRECONDITION_REQUIRED', message: 'Precondition required: this service requires If-Match to change the existing state of contact c_8f2k3LmQ; GET it and send its ETag in If-Match' },
  429: { code: 'RATE_LIMITED', message: 'Too many requests for this token; retry in 1 minute' },
  500: { code: 'STATE_UNREADABLE', message: 'The stored state of contact c_8f2k3LmQ is not readable; a PUT replaces it' },
  503: { code: 'REDIS_UNAVAILABLE', message: 'Storage is unavailable; retry shortly' }
}

/** The error schema under each of these status codes, with an example, for a route's `response`. */
export const errorResponses = (...codes: number[]): Record<number, TSchema> => {
  const { $id: _shared, ...error } = ErrorResponseSchema
  return Object.fromEntries(codes.map((code) => [code, { ...error, examples: [{ statusCode: code, error: STATUS_CODES[code], ...ERROR_EXAMPLES[code] }] }]))
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
