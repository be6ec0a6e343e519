/**
 * The bot's path: PUT and GET of 10,000 distinct contacts, and the bot turn (GET, then PUT with
 * If-Match of the ETag just read). The same request definitions load the ceiling and the
 * service, so that the load generator does the same work against both.
 *
 * The bot turn chains inside autocannon: a connection cycles through its `requests` list and
 * keeps a context per connection; the GET's onResponse stores the ETag there and the PUT's
 * setupRequest reads it (autocannon builds the next request after recording the response).
 */
import { performance } from 'node:perf_hooks'
import type { Context, Options, Request, RequestParams } from 'autocannon'
import { measure, summarize, type MeasureHooks, type Stats } from './measure.js'
import { documentTemplate } from './state-doc.js'

export const botContactId = (i: number): string => `c${String(i).padStart(7, '0')}`

/** Versions of a document as successive turns write it; any contact's body is two concatenations. */
function bodies (nowMs: number): (contactId: string, turn: number) => string {
  const templates = Array.from({ length: 16 }, (_, i) => documentTemplate(i, nowMs - i * 60_000))
  return (contactId, turn) => {
    const template = templates[turn % templates.length] as typeof templates[number]
    return template.before + contactId + template.after
  }
}

const JSON_HEADERS = { 'content-type': 'application/json' }
const FILL_ATTEMPTS = 3

export interface BotCases {
  put: (url: string, settings: CaseSettings, hooks?: MeasureHooks) => Promise<Stats>
  get: (url: string, settings: CaseSettings, hooks?: MeasureHooks) => Promise<Stats>
  /** The turn: requests are GET+PUT pairs; `turn` has one latency per pair. */
  turn: (url: string, settings: CaseSettings) => Promise<{ requests: Stats, turn: Stats }>
  /** Writes every contact once, so that every GET finds its state. */
  fill: (url: string) => Promise<void>
}

export interface CaseSettings { connections: number, durationSeconds: number }

function loadOptions (url: string, settings: CaseSettings, requests: Request[]): Options {
  return {
    url,
    connections: settings.connections,
    duration: settings.durationSeconds,
    warmup: { connections: settings.connections, duration: 1 },
    requests
  }
}

export function botCases (contacts: number, nowMs: number): BotCases {
  const bodyOf = bodies(nowMs)
  let putCounter = 0
  let getCounter = 0
  let turnCounter = 0

  const put: Request = {
    method: 'PUT',
    setupRequest: (request) => {
      const n = putCounter++
      const contactId = botContactId(n % contacts)
      return { ...request, path: `/seller/state/${contactId}`, headers: JSON_HEADERS, body: bodyOf(contactId, n) }
    }
  }
  const get: Request = {
    method: 'GET',
    setupRequest: (request) => ({ ...request, path: `/seller/state/${botContactId(getCounter++ % contacts)}` })
  }

  return {
    fill: async (url) => {
      let filled = 0
      const first: Request = {
        method: 'PUT',
        setupRequest: (request) => {
          const contactId = botContactId(filled++ % contacts)
          return { ...request, path: `/seller/state/${contactId}`, headers: JSON_HEADERS, body: bodyOf(contactId, 0) }
        }
      }
      // A busy machine can make the service shed a few of them (503): writing all again is harmless.
      for (let attempt = 1; ; attempt++) {
        filled = 0
        const stats = await measure({ url, connections: 50, amount: contacts, requests: [first] })
        if (stats.failures === 0) return
        if (attempt === FILL_ATTEMPTS) throw new Error(`${stats.failures} PUTs failed while filling the bot's contacts`)
      }
    },
    put: async (url, settings, hooks) => await measure(loadOptions(url, settings, [put]), hooks),
    get: async (url, settings, hooks) => await measure(loadOptions(url, settings, [get]), hooks),
    turn: async (url, settings) => {
      let turnLatencies: number[] = []
      const read: Request = {
        method: 'GET',
        setupRequest: (request: RequestParams, context: Context) => {
          const contactId = botContactId(turnCounter++ % contacts)
          context.contactId = contactId
          context.startedAt = performance.now()
          return { ...request, path: `/seller/state/${contactId}` }
        },
        onResponse: (_status, _body, context, headers) => { context.etag = headers.etag }
      }
      const write: Request = {
        method: 'PUT',
        setupRequest: (request: RequestParams, context: Context) => {
          const contactId = context.contactId as string
          const headers = { ...JSON_HEADERS, 'if-match': String(context.etag ?? '"none"') }
          return { ...request, path: `/seller/state/${contactId}`, headers, body: bodyOf(contactId, turnCounter) }
        },
        onResponse: (status, _body, context) => {
          if (status === 200) turnLatencies.push(performance.now() - (context.startedAt as number))
        }
      }
      const requests = await measure(loadOptions(url, settings, [read, write]), {
        onStart: () => { turnLatencies = [] }
      })
      return { requests, turn: summarize(turnLatencies, requests.seconds, requests.failures) }
    }
  }
}
