/**
 * A Server-Sent Events client for tests, over fetch() as the dashboard reads its feed: collects
 * every event, and waits for those a test expects.
 */
export interface ReceivedEvent {
  id: string | undefined
  event: string
  data: string
  /** When it arrived (performance.now()). */
  at: number
}

export interface SseClient {
  status: number
  events: ReceivedEvent[]
  /** Comment lines (heartbeats) received. */
  comments: number
  /** Resolves with the first event (from `from` on) that passes the check, or rejects after timeoutMs. */
  waitFor: (check: (event: ReceivedEvent) => boolean, timeoutMs?: number, from?: number) => Promise<ReceivedEvent>
  close: () => void
  /** Resolves when the server ended the stream. */
  ended: Promise<void>
}

export async function openSse (url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const abort = new AbortController()
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal })
  const events: ReceivedEvent[] = []
  const waiters = new Set<() => void>()
  let comments = 0
  const client: SseClient = {
    status: response.status,
    events,
    get comments () { return comments },
    async waitFor (check, timeoutMs = 5000, from = 0) {
      return await new Promise((resolve, reject) => {
        const look = (): boolean => {
          const found = events.slice(from).find(check)
          if (found === undefined) return false
          clearTimeout(timer)
          waiters.delete(wake)
          resolve(found)
          return true
        }
        const wake = (): void => { look() }
        const timer = setTimeout(() => {
          waiters.delete(wake)
          reject(new Error(`no such event within ${timeoutMs} ms; got ${JSON.stringify(events.map((e) => e.event))}`))
        }, timeoutMs)
        if (!look()) waiters.add(wake)
      })
    },
    close: () => abort.abort(),
    ended: Promise.resolve()
  }
  if (response.body === null || response.status !== 200) return client
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
  client.ended = (async () => {
    let buffer = ''
    try {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) return
        buffer += value
        let end
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const event: ReceivedEvent = { id: undefined, event: 'message', data: '', at: performance.now() }
          let isComment = true
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue
            isComment = false
            const colon = line.indexOf(':')
            const field = line.slice(0, colon)
            const value = line.slice(colon + 1).replace(/^ /, '')
            if (field === 'id') event.id = value
            else if (field === 'event') event.event = value
            else if (field === 'data') event.data += (event.data === '' ? '' : '\n') + value
          }
          if (isComment) comments++
          else events.push(event)
          for (const wake of [...waiters]) wake()
        }
      }
    } catch {
      // aborted by close()
    }
  })()
  return client
}
