/**
 * Writes one client's change feed in order, never holding more than `limitBytes` for it: what
 * waits here plus what Node's socket has not sent. A client that reads slower than its events
 * come is cut off (its EventSource reconnects with Last-Event-ID and resumes from the stream),
 * so no client can grow the service's memory.
 */
import type { FastifyReply } from 'fastify'
import { compareIds } from '../redis/feed-position.js'

export interface FeedMessage {
  id: string
  event: string
  /** JSON text, written as it is. */
  data: string
}

// What one message costs besides its data: `id: `, `event: `, `data: `, newlines.
const FRAMING_BYTES = 64

export class FeedWriter {
  /** The id of the last event queued: later ones only, so catch-up and live never repeat. */
  lastId: string
  private readonly queue: FeedMessage[] = []
  private queuedBytes = 0
  private writing = false
  private ended = false

  constructor (private readonly reply: FastifyReply, private readonly limitBytes: number, private readonly onCutOff: () => void, startId = '0-0') {
    this.lastId = startId
  }

  get isOpen (): boolean {
    return !this.ended && this.reply.sse.isConnected
  }

  /** Queues a message past lastId; cuts the client off when that would pass the limit. */
  push (message: FeedMessage): void {
    if (!this.isOpen || compareIds(message.id, this.lastId) <= 0) return
    this.lastId = message.id
    const bytes = message.data.length + FRAMING_BYTES
    if (this.queuedBytes + bytes + this.reply.raw.writableLength > this.limitBytes) {
      this.cutOff()
      return
    }
    this.queue.push(message)
    this.queuedBytes += bytes
    if (!this.writing) this.drain().catch(() => this.cutOff())
  }

  /** A message that does not advance the position (reset, ready): it may repeat an id. */
  pushControl (message: FeedMessage): void {
    this.lastId = message.id
    this.queue.push(message)
    this.queuedBytes += message.data.length + FRAMING_BYTES
    if (!this.writing) this.drain().catch(() => this.cutOff())
  }

  close (): void {
    this.ended = true
    this.reply.sse.close()
  }

  private cutOff (): void {
    if (this.ended) return
    this.ended = true
    this.onCutOff()
    // The socket may hold megabytes the client will never read: drop them, not send them.
    this.reply.raw.destroy()
  }

  /** One message at a time: send() waits for the socket to drain before the next. */
  private async drain (): Promise<void> {
    this.writing = true
    while (this.queue.length > 0 && this.isOpen) {
      const message = this.queue.shift() as FeedMessage
      this.queuedBytes -= message.data.length + FRAMING_BYTES
      await this.reply.sse.send(message)
    }
    this.writing = false
  }
}
