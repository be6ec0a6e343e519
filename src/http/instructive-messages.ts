/**
 * Fastify's own client errors say what went wrong ("Unsupported Media Type"); a client also needs
 * to know what to send instead. The service's own errors say it themselves (errors.ts).
 */
import type { FastifyError, FastifyRequest } from 'fastify'

/** The media types of a JSON body, and the one only PATCH also takes (its route registers it). */
export const JSON_MEDIA_TYPE = 'application/json'
export const MERGE_PATCH_MEDIA_TYPE = 'application/merge-patch+json'

function mediaTypeMessage (request: FastifyRequest): string {
  const given = request.headers['content-type']
  const problem = given === undefined ? 'The body has no Content-Type' : `Content-Type ${given} is not accepted`
  return request.method === 'PATCH'
    ? `${problem}: send a JSON Merge Patch with Content-Type: ${MERGE_PATCH_MEDIA_TYPE} (or ${JSON_MEDIA_TYPE})`
    : `${problem}: send the document as JSON with Content-Type: ${JSON_MEDIA_TYPE}`
}

/**
 * Fastify's errors that reach clients, with the message they get instead of Fastify's.
 * FST_ERR_VALIDATION keeps its own: validator-compiler.ts words it.
 */
const INSTRUCTIONS: Record<string, (error: FastifyError, request: FastifyRequest) => string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: (_error, request) => mediaTypeMessage(request),
  FST_ERR_CTP_BODY_TOO_LARGE: (_error, request) => `The body is larger than ${request.routeOptions.bodyLimit} bytes: send a smaller document`,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: (error) => `${error.message}: send a Content-Length equal to the size of the body in bytes`,
  FST_ERR_BAD_URL: (error) => `${error.message}: send the path percent-encoded as UTF-8`
}

/** The codes of Fastify's own that a client may get (the README's error table lists each). */
export const FRAMEWORK_CLIENT_ERROR_CODES = ['FST_ERR_VALIDATION', ...Object.keys(INSTRUCTIONS)]

/** The message a client gets for a 4xx. */
export function instructiveMessage (error: FastifyError, request: FastifyRequest): string {
  return INSTRUCTIONS[error.code]?.(error, request) ?? error.message
}
