/**
 * A raw HTTP/1.1 client over node:net, for the hostile-input tests: it sends exactly the bytes it
 * is given (invalid UTF-8, raw newlines and spaces in a path, repeated or 20 KB headers, made-up
 * methods, lying Content-Lengths), which fetch and http.request refuse to send, on a connection of
 * its own (`Connection: close`), and reads one answer: until its Content-Length or last chunk,
 * or the end of the connection for an answer that has neither.
 *
 * A server that closes the connection, or stays silent, without a complete answer is reported as
 * a NoAnswerError: for these tests that is a failure, never a kind of answer.
 */
import { connect } from 'node:net'

export interface RawResponse {
  status: number
  /** Lower-case names; a header sent several times gives the array of its values. */
  headers: Record<string, string | string[]>
  body: Buffer
}

/** The server closed the connection, or said nothing in time, without a complete answer. */
export class NoAnswerError extends Error {
  constructor (reason: string, readonly received: Buffer) {
    super(`no answer: ${reason} (${received.length} bytes received: ${JSON.stringify(received.subarray(0, 200).toString('latin1'))})`)
    this.name = 'NoAnswerError'
  }
}

export interface RawRequest {
  /** Sent as is: lower case and made-up methods included. */
  method: string
  /** The request target, sent as is (a string as UTF-8). */
  target: string | Buffer
  /**
   * Sent in this order, repeats included, strings as UTF-8. `Host` (unless omitHost) and
   * `Connection: close` are added unless given; so is `Content-Length` for a body, unless a
   * Content-Length or Transfer-Encoding header is given.
   */
  headers?: Array<[string, string | Buffer]>
  body?: string | Buffer
  /** Sends no Host header (which HTTP/1.1 requires). */
  omitHost?: boolean
}

export interface RawOptions {
  /** How long to wait for the whole answer. */
  timeoutMs?: number
  /** An answer to HEAD has headers only, whatever its Content-Length says. */
  head?: boolean
  /** Ends the sending side after the request (a client that sent less than it announced). */
  halfClose?: boolean
}

const CRLF = Buffer.from('\r\n')
const HEADER_END = Buffer.from('\r\n\r\n')

const bytes = (value: string | Buffer): Buffer => typeof value === 'string' ? Buffer.from(value, 'utf8') : value

/** The request's bytes: request line, headers, blank line, body. */
export function encodeRequest ({ method, target, headers = [], body, omitHost = false }: RawRequest): Buffer {
  const has = (name: string): boolean => headers.some(([given]) => given.toLowerCase() === name)
  const all: Array<[string, string | Buffer]> = [...headers]
  if (!has('host') && !omitHost) all.unshift(['Host', '127.0.0.1'])
  if (!has('connection')) all.push(['Connection', 'close'])
  if (body !== undefined && !has('content-length') && !has('transfer-encoding')) {
    all.push(['Content-Length', String(bytes(body).length)])
  }
  return Buffer.concat([
    Buffer.from(`${method} `), bytes(target), Buffer.from(' HTTP/1.1'), CRLF,
    ...all.flatMap(([name, value]) => [Buffer.from(`${name}: `), bytes(value), CRLF]),
    CRLF,
    body === undefined ? Buffer.alloc(0) : bytes(body)
  ])
}

/** A `transfer-encoding: chunked` body decoded, or null while it is incomplete. */
function decodeChunked (data: Buffer): Buffer | null {
  const chunks: Buffer[] = []
  let at = 0
  for (;;) {
    const lineEnd = data.indexOf(CRLF, at)
    if (lineEnd === -1) return null
    const size = Number.parseInt(data.subarray(at, lineEnd).toString('latin1').split(';')[0] as string, 16)
    if (Number.isNaN(size)) throw new Error(`bad chunk size line ${JSON.stringify(data.subarray(at, lineEnd).toString('latin1'))}`)
    at = lineEnd + 2
    if (size === 0) return Buffer.concat(chunks)
    if (data.length < at + size + 2) return null
    chunks.push(data.subarray(at, at + size))
    at += size + 2
  }
}

/**
 * The first complete final answer in `data` (interim 1xx answers skipped), or null. `closed`: the
 * connection has ended, so a body without Content-Length or chunking is complete.
 */
function parseResponse (data: Buffer, head: boolean, closed: boolean): RawResponse | null {
  let rest = data
  for (;;) {
    const end = rest.indexOf(HEADER_END)
    if (end === -1) return null
    const [statusLine = '', ...lines] = rest.subarray(0, end).toString('latin1').split('\r\n')
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]
    if (status === undefined) throw new Error(`not an HTTP answer: ${JSON.stringify(statusLine)}`)
    const headers: Record<string, string | string[]> = {}
    for (const line of lines) {
      const colon = line.indexOf(':')
      const name = line.slice(0, colon).trim().toLowerCase()
      const value = line.slice(colon + 1).trim()
      const earlier = headers[name]
      headers[name] = earlier === undefined ? value : [earlier, value].flat()
    }
    const afterHead = rest.subarray(end + HEADER_END.length)
    const code = Number(status)
    if (code < 200) {
      rest = afterHead
      continue
    }
    if (head || code === 204 || code === 304) return { status: code, headers, body: Buffer.alloc(0) }
    if (String(headers['transfer-encoding']).toLowerCase().includes('chunked')) {
      const body = decodeChunked(afterHead)
      return body === null ? null : { status: code, headers, body }
    }
    const length = headers['content-length']
    if (length === undefined) return closed ? { status: code, headers, body: afterHead } : null
    if (afterHead.length < Number(length)) return null
    return { status: code, headers, body: afterHead.subarray(0, Number(length)) }
  }
}

/** Whether `data` already holds a whole answer; a malformed one is judged when the connection ends. */
function completeAnswer (data: Buffer, head: boolean): boolean {
  try {
    return parseResponse(data, head, false) !== null
  } catch {
    return false
  }
}

/** Sends the bytes on a new connection and resolves with the answer, once it is complete or the server has closed. */
export async function sendRaw (port: number, request: Buffer, options: RawOptions = {}): Promise<RawResponse> {
  const { timeoutMs = 5000, head = false, halfClose = false } = options
  return await new Promise<RawResponse>((resolve, reject) => {
    const received: Buffer[] = []
    const socket = connect({ port, host: '127.0.0.1' })
    let settled = false
    const settle = (reason: string): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      const data = Buffer.concat(received)
      let answer: RawResponse | null
      try {
        answer = parseResponse(data, head, reason === 'closed')
      } catch (err) {
        reject(new NoAnswerError((err as Error).message, data))
        return
      }
      if (answer === null) reject(new NoAnswerError(reason, data))
      else resolve(answer)
    }
    const timer = setTimeout(() => settle(`nothing more within ${timeoutMs} ms`), timeoutMs)
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk)
      // A complete answer is enough, whether or not the server keeps the connection open.
      if (!settled && completeAnswer(Buffer.concat(received), head)) settle('answered')
    })
    socket.on('end', () => settle('closed'))
    // A reset after the answer (the server stops reading a body it refused) still leaves the answer.
    socket.on('error', (err) => settle(`connection error ${(err as NodeJS.ErrnoException).code ?? err.message}`))
    socket.on('close', () => settle('closed'))
    socket.write(request, () => { if (halfClose) socket.end() })
  })
}

/** Builds the request's bytes and sends them (see encodeRequest and sendRaw). */
export async function rawRequest (port: number, request: RawRequest, options: RawOptions = {}): Promise<RawResponse> {
  return await sendRaw(port, encodeRequest(request), { head: request.method === 'HEAD', ...options })
}
