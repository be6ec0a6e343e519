/**
 * The last guard against API tokens in the logs. pino's redact paths (app.ts) keep the headers
 * that carry credentials out, but a careless client also puts its token where the service logs
 * what it received: a query parameter (`req.url`), the path, X-Request-Id (the `reqId` of every
 * line), an Idempotency-Key or a document field quoted by an error message. Every configured
 * token is cut out of each line just before it is written, in whichever spelling it took there.
 */
import type { FastifyServerOptions } from 'fastify'

const REPLACEMENT = '[REDACTED]'

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')

/**
 * A pattern for one token inside a JSON log line: each character JSON-escaped as pino writes it,
 * or percent-encoded as a URL carries it (in either letter case).
 */
function tokenPattern (token: string): string {
  return [...token].map((character) => {
    // Tokens are visible ASCII (config.ts): two hex digits each.
    const hex = character.charCodeAt(0).toString(16)
    return `(?:${escapeRegExp(JSON.stringify(character).slice(1, -1))}|%(?:${hex}|${hex.toUpperCase()}))`
  }).join('')
}

/** The streamWrite hook that cuts these secrets out of every line; null when there are none. */
export function secretRedactor (secrets: string[]): ((line: string) => string) | null {
  if (secrets.length === 0) return null
  const base64 = secrets.flatMap((secret) => [Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('base64url')])
  // Longest first, so that a secret containing another is cut whole.
  const alternatives = [...secrets.map(tokenPattern), ...base64.map(escapeRegExp)].sort((a, b) => b.length - a.length)
  const pattern = new RegExp(alternatives.join('|'), 'g')
  return (line) => line.replace(pattern, REPLACEMENT)
}

/** Logger options with the redactor added, after any streamWrite hook they already have. */
export function withSecretsRedacted (logger: FastifyServerOptions['logger'], secrets: string[]): FastifyServerOptions['logger'] {
  const redact = secretRedactor(secrets)
  if (redact === null || typeof logger !== 'object') return logger
  const earlier = logger.hooks?.streamWrite
  return { ...logger, hooks: { ...logger.hooks, streamWrite: (line) => redact(earlier === undefined ? line : earlier(line)) } }
}
