/**
 * The JSON body parser. It keeps the text exactly as received in `request.rawBody`, so that the
 * stored document is the client's own bytes (Python isoformat strings, number spellings, key
 * order), and refuses what cannot be stored faithfully: invalid UTF-8 (decoding would replace
 * bytes silently), prototype-poisoning keys and member names repeated in one object.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import secureJson from 'secure-json-parse'
import { InvalidDocumentError, InvalidJsonError } from '../errors.js'
import { scanJson, type JsonShape } from './json-shape.js'

declare module 'fastify' {
  interface FastifyRequest {
    rawBody: string
    /** How the body's top-level numbers are spelled (see json-shape.ts). */
    topLevelNumbers: Map<string, string> | null
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

/** Deeper than any state needs, and shallow enough for every JSON library the bot may use. */
export const MAX_JSON_DEPTH = 64

/** Parses a JSON body; an empty one is no body (a DELETE sent with a JSON content type). */
export function parseJsonBody (text: string): { value: unknown, shape: JsonShape | null } {
  if (text === '') return { value: undefined, shape: null }
  let value: unknown
  try {
    value = secureJson.parse(text, { protoAction: 'error', constructorAction: 'error' })
  } catch (err) {
    if (err instanceof SyntaxError && /prototype/i.test(err.message)) {
      throw new InvalidJsonError('keys "__proto__" and "constructor.prototype" are not allowed')
    }
    throw new InvalidJsonError((err as Error).message)
  }
  const shape = scanJson(text)
  if (shape.depth > MAX_JSON_DEPTH) throw new InvalidJsonError(`it nests deeper than ${MAX_JSON_DEPTH} levels`)
  if (shape.duplicateMember !== null) {
    throw new InvalidDocumentError(`body/${shape.duplicateMember.join('/')} appears more than once in its object; each member may appear once`)
  }
  return { value, shape }
}

/** Once per app: the request property the parser fills. */
export function decorateRawBody (app: FastifyInstance): void {
  app.decorateRequest('rawBody', '')
  app.decorateRequest('topLevelNumbers', null)
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
      const { value, shape } = parseJsonBody(text)
      request.rawBody = text
      request.topLevelNumbers = shape?.topLevelNumbers ?? null
      done(null, value)
    } catch (err) {
      done(err as Error, undefined)
    }
  })
}
