/**
 * What the security tests of issue 6 share (write-token, logs, error-answers, key-injection):
 * the tokens they configure, the ways they send a request and see its answer, and the checks of
 * an answer's headers, of an error body and of text that could hold a token.
 *
 * Those tests look from the client's (or an attacker's) side of the wire: no route writes without
 * a write token, tokens never reach the logs, error bodies carry no internals, every answer has
 * sane headers, and no id can address another key in Redis.
 */
import type { FastifyInstance } from 'fastify'
import { botState } from '../../helper.js'
import { rawRequest, type RawRequest } from '../../support/raw-http.js'

// Tokens as operators make them: hex (which is also a valid contact id and request id) and
// base64 (whose URL-encoded and JSON forms differ from the raw one). WRONG is configured nowhere.
export const READ = 'f3a9c27e5b1d4086a7e2c9b4d1f08e6a3c5b7d92'
export const WRITE = 'k9+Qz/Wm3xT7rL2v=Np8Ys4~Hc'
export const WRONG = 'wrong-token-0123456789abcdef'
export const KEYS = { API_KEYS: `read:${READ},write:${WRITE}` }
// No background sweep: nothing but the requests under test may change Redis.
export const QUIET = { SWEEP_INTERVAL_SECONDS: '0' }

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` })
export const base64 = (text: string): string => Buffer.from(text).toString('base64')

/** A document for a contact, without contact_id (the path gives it). */
export function documentText (overrides: Record<string, unknown> = {}): string {
  const { contact_id: _fromPath, ...document } = botState(overrides)
  return JSON.stringify(document)
}

export const MERGE_PATCH = '{"stage":"Q4","seller_name":"Mallory"}'

/** An answer as the client saw it, whichever way it was sent. */
export interface Answer {
  method: string
  status: number
  headers: Record<string, string | string[] | number | undefined>
  body: Buffer
}

export async function inject (app: FastifyInstance, method: string, url: string, headers: Record<string, string> = {}, payload?: string): Promise<Answer> {
  // As a stream: the change feed's answer never ends; its first bytes are enough.
  const res = await app.inject({ method: method as 'GET', url, headers, payloadAsStream: true, ...(payload === undefined ? {} : { payload }) })
  const stream = res.stream()
  const chunks: Buffer[] = []
  if (String(res.headers['content-type']).startsWith('text/event-stream')) {
    stream.destroy()
  } else {
    for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer))
  }
  return { method, status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }
}

/** Starts the app on a free loopback port, for the requests only a real socket can carry. */
export async function listen (app: FastifyInstance): Promise<number> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  return (app.server.address() as { port: number }).port
}

export async function raw (port: number, request: RawRequest): Promise<Answer> {
  const res = await rawRequest(port, request)
  return { method: request.method, ...res }
}

/** What is wrong with an answer's headers: x-powered-by, nosniff, a content-type for a body. */
export function headerProblems (label: string, { method, status, headers, body }: Answer): string[] {
  const problems: string[] = []
  if (headers['x-powered-by'] !== undefined) problems.push(`${label}: x-powered-by ${String(headers['x-powered-by'])}`)
  if (headers['x-content-type-options'] !== 'nosniff') problems.push(`${label}: x-content-type-options ${String(headers['x-content-type-options'])}`)
  if (status === 204 || status === 304) {
    // No content, so no representation metadata (RFC 9110 8.6, 15.4.5).
    if (body.length > 0) problems.push(`${label}: a ${status} with a body`)
    for (const name of ['content-type', 'content-length']) {
      if (headers[name] !== undefined) problems.push(`${label}: a ${status} with ${name} ${String(headers[name])}`)
    }
  } else if ((body.length > 0 || (method === 'HEAD' && Number(headers['content-length']) > 0)) && headers['content-type'] === undefined) {
    problems.push(`${label}: a body without content-type`)
  }
  return problems
}

/** Stack frames, source paths, Redis error replies and script text, connection strings. */
export const INTERNALS = [
  /\bat [\w.<>$[\] ]*\(/, /\bat (file:|node:|\/)/, /\/src\/|\/routes\/|\.ts\b|\.js:\d|node_modules|\/work\//,
  /\bERR\b|WRONGTYPE|NOSCRIPT|BUSY|user_script|redis\.call|evalsha|KEYS\[|ARGV|\bLua\b/i,
  /rediss?:\/\//, /ECONNREFUSED|ioredis/i, /127\.0\.0\.1:\d+|localhost:\d+/
]

/** What is wrong with an error answer: its shape, its media type, any internal it gives away. */
export function errorBodyProblems (label: string, answer: Answer, secrets: string[]): string[] {
  const text = answer.body.toString('utf8')
  const problems: string[] = []
  if (!/^application\/json\b/.test(String(answer.headers['content-type']))) problems.push(`${label}: content-type ${String(answer.headers['content-type'])}`)
  let body: Record<string, unknown>
  try {
    body = JSON.parse(text)
  } catch {
    return [...problems, `${label}: not JSON: ${text.slice(0, 200)}`]
  }
  const keys = Object.keys(body).sort()
  const allowed = ['code', 'error', 'message', 'statusCode']
  if (!['error', 'message', 'statusCode'].every((key) => keys.includes(key)) || keys.some((key) => !allowed.includes(key))) {
    problems.push(`${label}: keys ${keys.join(', ')}`)
  }
  if (body.statusCode !== answer.status) problems.push(`${label}: statusCode ${String(body.statusCode)} in a ${answer.status}`)
  if (typeof body.message !== 'string' || typeof body.error !== 'string' || !['string', 'undefined'].includes(typeof body.code)) {
    problems.push(`${label}: types ${text}`)
  }
  for (const pattern of INTERNALS) if (pattern.test(text)) problems.push(`${label}: matches ${String(pattern)}: ${text}`)
  for (const secret of secrets) if (text.includes(secret)) problems.push(`${label}: gives away ${secret}: ${text}`)
  return problems
}

/** The forms in which a token could be written: as is, URL-encoded, inside JSON, base64. */
function tokenForms (token: string): string[] {
  return [...new Set([token, encodeURIComponent(token), JSON.stringify(token).slice(1, -1), base64(token), Buffer.from(token).toString('base64url')])]
}

/** Lines holding any form of any token, shortened for the report. */
export function linesWithTokens (text: string): string[] {
  const forms = [READ, WRITE, WRONG].flatMap(tokenForms)
  return text.split('\n').filter((line) => forms.some((form) => line.includes(form))).map((line) => line.slice(0, 400))
}
