/**
 * A small HTTP client over keep-alive connections, for the load that the chaos suite and the soak
 * drive through a real service process: node:http is lighter than fetch on a machine whose two
 * cores also run the service and Redis, and each answer comes back with its latency.
 */
import { Agent, request } from 'node:http'
import { performance } from 'node:perf_hooks'

const REQUEST_TIMEOUT_MS = 30_000

export interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
  /** From sending the request to the last byte of the answer. */
  ms: number
}

export interface KeepAliveClient {
  /** One request; rejects on a network error (refused, reset, closed early) or after 30 s. */
  send: (method: string, path: string, body?: string, headers?: Record<string, string>) => Promise<Answer>
  /** Closes the pooled connections. */
  close: () => void
}

/** A client of `baseUrl` (`http://host:port`) keeping at most `maxSockets` connections open. */
export function keepAliveClient (baseUrl: string, maxSockets: number): KeepAliveClient {
  const agent = new Agent({ keepAlive: true, maxSockets })
  const send = async (method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Answer> =>
    await new Promise((resolve, reject) => {
      const started = performance.now()
      const req = request(baseUrl + path, { method, agent, headers }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', reject)
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString(), ms: performance.now() - started })
        })
      })
      req.on('error', reject)
      // A hung service fails the run instead of stalling it.
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer in ${REQUEST_TIMEOUT_MS} ms`)))
      req.end(body)
    })
  return { send, close: () => agent.destroy() }
}
