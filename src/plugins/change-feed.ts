/**
 * The change feed of this replica: ONE loop reads the change stream (change-stream.ts) with a
 * blocking XREAD on a connection of its own, builds each event once, and hands it to every open
 * feed (routes/active-events.ts); N dashboards cost one Redis connection, not N. The loop starts
 * with the first feed and runs until the app closes.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import fp from 'fastify-plugin'
import { isCluster, type RedisClient } from '../redis/client.js'
import { Counter, Gauge } from 'prom-client'
import { decodeEntry, mayHaveMissed, streamBounds } from '../redis/change-stream.js'
import { changeEventOf, type ChangeEvent } from '../state/change-event.js'

/** An open feed, as the loop sees it. */
export interface FeedSubscriber {
  /** One event, with its JSON made once for every subscriber. */
  event: (id: string, event: ChangeEvent, json: string) => void
  /** Events were lost (the loop fell behind the stream's trimming): reload, resume from `id`. */
  reset: (id: string) => void
  /** The app is closing: end the feed. */
  close: () => void
}

export interface ChangeFeed {
  /** Starts the loop if need be; the id of the last entry it has handed out. */
  position: () => Promise<string>
  /** Adds a subscriber; returns its removal. */
  subscribe: (subscriber: FeedSubscriber) => () => void
  metrics: { sent: Counter<'event'>, open: Gauge, cutOff: Counter<'reason'> }
}

declare module 'fastify' {
  interface FastifyInstance {
    changeFeed: ChangeFeed
  }
}

// How long one XREAD waits for entries before it asks again; entries read at most per call.
const BLOCK_MS = 5000
const READ_COUNT = 500
const RETRY_MS = 500

export interface ChangeFeedOptions {
  stallAfterSeconds: number
}

export default fp<ChangeFeedOptions>(async function changeFeed (app, opts) {
  const log = app.log.child({ component: 'change-feed' })
  const key = app.keySpace.bucket(0).events
  const stallAfterMs = opts.stallAfterSeconds * 1000
  const subscribers = new Set<FeedSubscriber>()
  const registers = [app.metrics.registry]
  const metrics = {
    sent: new Counter({ name: 'seller_state_feed_events_sent_total', help: 'Events written to open change feeds (one per feed it reached), by event', labelNames: ['event'], registers }),
    open: new Gauge({ name: 'seller_state_feed_streams_open', help: 'Open change feeds (GET /seller/active/events) on this replica', registers }),
    cutOff: new Counter({ name: 'seller_state_feed_streams_cut_off_total', help: 'Change feeds closed by the service: slow (its buffer full) or closing', labelNames: ['reason'], registers })
  }

  let reader: RedisClient | null = null
  let started: Promise<void> | null = null
  let cursor = '0-0'
  const state = { closed: false }

  function handOut (raw: Array<[string, string[]]>): void {
    const now = Date.now()
    for (const item of raw) {
      const entry = decodeEntry(item)
      cursor = entry.id
      const event = changeEventOf(entry, now, stallAfterMs)
      const json = JSON.stringify(event)
      for (const subscriber of subscribers) subscriber.event(entry.id, event, json)
    }
  }

  /** After an outage: entries trimmed while the loop was away are lost to every feed. */
  async function checkGap (): Promise<void> {
    const bounds = await streamBounds(app.redis, key)
    if (mayHaveMissed(bounds, cursor)) {
      log.warn({ cursor, firstId: bounds.firstId }, 'The change stream was trimmed past this replica\'s position: feeds are reset')
      cursor = bounds.lastId
      for (const subscriber of subscribers) subscriber.reset(cursor)
    }
  }

  async function loop (connection: RedisClient): Promise<void> {
    let failed = false
    while (!state.closed) {
      try {
        if (failed) await checkGap()
        failed = false
        const reply = await connection.xread('COUNT', READ_COUNT, 'BLOCK', BLOCK_MS, 'STREAMS', key, cursor)
        if (reply !== null) handOut(reply[0]?.[1] ?? [])
      } catch (err) {
        if (state.closed) return
        if (!failed) log.warn({ err }, 'Reading the change stream failed; retrying')
        failed = true
        await sleep(RETRY_MS)
      }
    }
  }

  async function start (): Promise<void> {
    cursor = (await streamBounds(app.redis, key)).lastId
    // A blocking read holds its connection: it gets its own, and a timeout past its block.
    // Its first read waits for the connection (an offline queue): no request waits on it.
    const options = { commandTimeout: BLOCK_MS + 5000, connectionName: 'seller-state-feed', enableOfflineQueue: true }
    const connection = isCluster(app.redis) ? app.redis.duplicate(undefined, { enableOfflineQueue: true, redisOptions: { ...app.redis.options.redisOptions, ...options } }) : app.redis.duplicate(options)
    reader = connection
    connection.on('error', () => {}) // the loop reports failures once per outage
    loop(connection).catch((err: unknown) => log.error({ err }, 'The change feed loop stopped'))
  }

  app.decorate('changeFeed', {
    async position () {
      started ??= start().catch((err: unknown) => {
        started = null
        throw err
      })
      await started
      return cursor
    },
    subscribe (subscriber) {
      subscribers.add(subscriber)
      metrics.open.set(subscribers.size)
      return () => {
        subscribers.delete(subscriber)
        metrics.open.set(subscribers.size)
      }
    },
    metrics
  })

  // Open feeds would hold the server's close for its whole grace period.
  app.addHook('preClose', async () => {
    for (const subscriber of subscribers) subscriber.close()
  })
  app.addHook('onClose', async () => {
    state.closed = true
    reader?.disconnect()
  })
}, { name: 'change-feed', dependencies: ['redis', 'metrics'] })
