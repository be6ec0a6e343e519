/**
 * The part of autocannon's programmatic API the benchmark uses (the package ships no types).
 */
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events'

  export type Context = Record<string, unknown>

  export interface RequestParams {
    method?: string
    path?: string
    headers?: Record<string, string>
    body?: string | Buffer
  }

  export interface Request extends RequestParams {
    /** Called before each request is built; returns the request to send (per-connection context). */
    setupRequest?: (request: RequestParams, context: Context) => RequestParams
    /** Called with each response; what it stores in context is seen by the next request of the connection. */
    onResponse?: (status: number, body: string, context: Context, headers: Record<string, string>) => void
  }

  export interface Options extends RequestParams {
    url: string
    connections?: number
    pipelining?: number
    duration?: number
    amount?: number
    timeout?: number
    requests?: Request[]
    warmup?: { connections?: number, duration?: number }
  }

  export interface Result {
    duration: number
    errors: number
    timeouts: number
    non2xx: number
    statusCodeStats: Record<string, { count: number }>
  }

  export interface Instance extends EventEmitter, PromiseLike<Result> {
    on(event: 'response', listener: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void): this
    on(event: 'start' | 'done', listener: () => void): this
  }

  export default function autocannon (options: Options): Instance
}
