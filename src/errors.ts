/**
 * The service's own errors, each with a stable code. The root error handler turns them into
 * `{statusCode, error, message, code}`; their messages are safe to show to clients.
 */
import createError from '@fastify/error'

export const UnauthorizedError = createError<'UNAUTHORIZED', 401, [string]>(
  'UNAUTHORIZED', 'Authentication required: %s', 401)

export const ForbiddenError = createError<'FORBIDDEN', 403, []>(
  'FORBIDDEN', 'This token may only read: send a write token for PUT, PATCH and DELETE', 403)

export const RateLimitedError = createError<'RATE_LIMITED', 429, [string]>(
  'RATE_LIMITED', 'Too many requests for this token; retry in %s', 429)

export const FailedAuthenticationsError = createError<'RATE_LIMITED', 429, [number]>(
  'RATE_LIMITED', 'Too many failed authentications from this address; retry in %s seconds', 429)

export const AddressRateLimitedError = createError<'RATE_LIMITED', 429, [number]>(
  'RATE_LIMITED', 'Too many requests from this address; retry in %s seconds', 429)

export const ExpensiveReadsLimitedError = createError<'RATE_LIMITED', 429, [number]>(
  'RATE_LIMITED', 'This token already runs %s expensive dashboard reads (search, deep pages, view=full); retry when one is done', 429)

export const ExpensiveReadsBusyError = createError<'OVERLOADED', 503, []>(
  'OVERLOADED', 'This replica runs as many expensive dashboard reads (search, deep pages, view=full) as it allows; retry shortly', 503)

export const StateNotFoundError = createError<'STATE_NOT_FOUND', 404, [string]>(
  'STATE_NOT_FOUND', 'No state stored for contact %s; PUT a state to create it', 404)

export const RouteNotFoundError = createError<'ROUTE_NOT_FOUND', 404, [string, string]>(
  'ROUTE_NOT_FOUND', 'Route %s %s not found; see /docs for the routes', 404)

export const PreconditionFailedError = createError<'PRECONDITION_FAILED', 412, [string]>(
  'PRECONDITION_FAILED', 'Precondition failed: %s', 412)

export const PreconditionRequiredError = createError<'PRECONDITION_REQUIRED', 428, [string]>(
  'PRECONDITION_REQUIRED', 'Precondition required: %s', 428)

export const IdempotencyKeyReusedError = createError<'IDEMPOTENCY_KEY_REUSED', 422, [string]>(
  'IDEMPOTENCY_KEY_REUSED', 'Idempotency-Key %s was already used for a different request to this contact; send a new key for a new request', 422)

export const WriteConflictError = createError<'WRITE_CONFLICT', 409, [string]>(
  'WRITE_CONFLICT', 'The state of contact %s kept changing while the patch was applied; retry', 409)

export const ContactIdMismatchError = createError<'CONTACT_ID_MISMATCH', 400, [string, string]>(
  'CONTACT_ID_MISMATCH', 'body/contact_id must equal the contact id of the path (got %s, path has %s)', 400)

export const InvalidDocumentError = createError<'INVALID_DOCUMENT', 400, [string]>(
  'INVALID_DOCUMENT', '%s', 400)

export const DocumentTooLargeError = createError<'DOCUMENT_TOO_LARGE', 413, [number]>(
  'DOCUMENT_TOO_LARGE', 'The document as stored would exceed %s bytes, the largest document a PUT accepts; send a smaller document', 413)

export const PageTooDeepError = createError<'PAGE_TOO_DEEP', 400, [number]>(
  'PAGE_TOO_DEEP', 'querystring/page starts after more than %s conversations of one group; follow next_cursor to page deeper', 400)

export const InvalidCursorError = createError<'INVALID_CURSOR', 400, [string]>(
  'INVALID_CURSOR', 'querystring/cursor cannot be used: %s; send the next_cursor of the previous page with the same query, or no cursor', 400)

export const InvalidHeaderError = createError<'INVALID_HEADER', 400, [string, string]>(
  'INVALID_HEADER', '%s %s', 400)

export const InvalidJsonError = createError<'INVALID_JSON', 400, [string]>(
  'INVALID_JSON', 'Body is not valid JSON (%s): send a JSON document', 400)

export const StateUnreadableError = createError<'STATE_UNREADABLE', 500, [string]>(
  'STATE_UNREADABLE', 'The stored state of contact %s is not readable; a PUT replaces it', 500)

export const OverloadedError = createError<'OVERLOADED', 503, []>(
  'OVERLOADED', 'The service is overloaded; retry shortly', 503)

export const RedisUnavailableError = createError<'REDIS_UNAVAILABLE', 503, [options?: { cause: unknown }]>(
  'REDIS_UNAVAILABLE', 'Storage is unavailable; retry shortly', 503)

export const ReplicationUnconfirmedError = createError<'REPLICATION_UNCONFIRMED', 503, [number]>(
  'REPLICATION_UNCONFIRMED', 'The write was not confirmed by %s replica(s) in time: it may or may not be saved; retry with the same Idempotency-Key', 503)

// Refusals of requests that Node hands to the service outside Fastify's routing (client-error.ts)
// or before it (host-header.ts).
export const MalformedRequestError = createError<'MALFORMED_REQUEST', 400, [string]>(
  'MALFORMED_REQUEST', 'Malformed request: %s; send a valid HTTP/1.1 request', 400)

export const MissingHostError = createError<'MISSING_HOST', 400, []>(
  'MISSING_HOST', 'An HTTP/1.1 request needs a Host header: send one', 400)

export const UpgradeNotSupportedError = createError<'UPGRADE_NOT_SUPPORTED', 400, []>(
  'UPGRADE_NOT_SUPPORTED', 'Upgrade is not supported: send the request without Upgrade and Connection: Upgrade', 400)

export const MethodNotAllowedError = createError<'METHOD_NOT_ALLOWED', 405, []>(
  'METHOD_NOT_ALLOWED', 'CONNECT is not supported: this is not a proxy; send GET, PUT, PATCH or DELETE (see /docs)', 405)

export const RequestTimeoutError = createError<'REQUEST_TIMEOUT', 408, []>(
  'REQUEST_TIMEOUT', 'The request was not received in time: send the whole request within REQUEST_TIMEOUT_MS', 408)

export const ExpectationFailedError = createError<'EXPECTATION_FAILED', 417, [string]>(
  'EXPECTATION_FAILED', 'Expect: %s is not supported: send Expect: 100-continue or no Expect', 417)

export const HeadersTooLargeError = createError<'HEADERS_TOO_LARGE', 431, []>(
  'HEADERS_TOO_LARGE', 'The request headers exceed 16 KB: send smaller headers', 431)

export const TooManyHeadersError = createError<'HEADERS_TOO_LARGE', 431, [number]>(
  'HEADERS_TOO_LARGE', 'The request has more than %d headers: send fewer', 431)

/** Errors whose message is written for clients, 5xx included. */
export const PUBLIC_ERROR_CODES: ReadonlySet<string> = new Set([
  'STATE_UNREADABLE',
  'REDIS_UNAVAILABLE',
  'REPLICATION_UNCONFIRMED',
  'OVERLOADED'
])
