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

/** The message a client gets for a 4xx of Fastify's. */
export function instructiveMessage (error: FastifyError, request: FastifyRequest): string {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': return mediaTypeMessage(request)
    case 'FST_ERR_CTP_BODY_TOO_LARGE': return `The body is larger than ${request.routeOptions.bodyLimit} bytes: send a smaller document`
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH': return `${error.message}: send a Content-Length equal to the size of the body in bytes`
    case 'FST_ERR_BAD_URL': return `${error.message}: send the path percent-encoded as UTF-8`
    default: return error.message
  }
}
