/**
 * The JSON body parser. It keeps the text exactly as received in `request.rawBody`, so that the
 * stored document is the client's own bytes (Python isoformat strings, number spellings, key
 * order), and refuses what cannot be stored faithfully: invalid UTF-8 (decoding would replace
 * bytes silently) and prototype-poisoning keys.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import secureJson from 'secure-json-parse'
import { InvalidJsonError } from '../errors.js'

declare module 'fastify' {
  interface FastifyRequest {
    rawBody: string
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

/** Parses a JSON body; an empty one is no body (a DELETE sent with a JSON content type). */
export function parseJsonBody (text: string): unknown {
  if (text === '') return undefined
  try {
    return secureJson.parse(text, { protoAction: 'error', constructorAction: 'error' })
  } catch (err) {
    if (err instanceof SyntaxError && /prototype/i.test(err.message)) {
      throw new InvalidJsonError('keys "__proto__" and "constructor.prototype" are not allowed')
    }
    throw new InvalidJsonError((err as Error).message)
  }
}

/** Once per app: the request property the parser fills. */
export function decorateRawBody (app: FastifyInstance): void {
  app.decorateRequest('rawBody', '')
}

export function registerJsonBodyParser (app: FastifyInstance, contentTypes: string[]): void {
  app.addContentTypeParser(contentTypes, { parseAs: 'buffer' }, (request: FastifyRequest, body: Buffer, done) => {
    let text: string
    try {
      text = strictUtf8.decode(body)
    } catch {
      done(new InvalidJsonError('the body is not valid UTF-8'), undefined)
      return
    }
    try {
      const value = parseJsonBody(text)
      request.rawBody = text
      done(null, value)
    } catch (err) {
      done(err as Error, undefined)
    }
  })
}
