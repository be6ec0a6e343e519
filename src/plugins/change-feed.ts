/**
 * The change feed of this replica: ONE loop reads the change streams (change-stream.ts) through a
 * feed reader (feed-reader.ts: blocking on a single node, polling every bucket on a cluster),
 * builds each event once, and hands it to every open feed (routes/active-events.ts); N dashboards
 * cost one reader, not N. The loop starts with the first feed and runs until the app closes.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import fp from 'fastify-plugin'
import { Counter, Gauge } from 'prom-client'
import { isCluster } from '../redis/client.js'
import { mayHaveMissed, streamBounds } from '../redis/change-stream.js'
import { changesBetween } from '../redis/change-history.js'
import { feedIds, ORIGIN, type FeedPosition } from '../redis/feed-position.js'
import type { FeedReader, PositionedEntry } from '../redis/feed-reader.js'
import { blockingFeedReader } from '../redis/blocking-feed-reader.js'
import { pollingFeedReader } from '../redis/polling-feed-reader.js'
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

/** An event as every feed sends it: its id, and its JSON made once. */
export interface FeedEvent {
  id: string
  event: ChangeEvent
  json: string
}

export interface ChangeFeed {
  /** Starts the loop if need be; the id of the last entry it has handed out. */
  position: () => Promise<string>
  /**
   * The events after the event `lastEventId` up to the loop's position `upTo`, in order; null when
   * the streams no longer hold them all, or the id is not one of this feed's.
   */
  since: (lastEventId: string, upTo: string) => Promise<AsyncGenerator<FeedEvent> | null>
  /** Adds a subscriber; returns its removal. */
  subscribe: (subscriber: FeedSubscriber) => () => void
  metrics: { sent: Counter<'event'>, open: Gauge, cutOff: Counter<'reason'> }
}

declare module 'fastify' {
  interface FastifyInstance {
    changeFeed: ChangeFeed
  }
}

const RETRY_MS = 500
// Entries read per round trip and stream while a client catches up.
const CATCH_UP_BATCH = 500

export interface ChangeFeedOptions {
  stallAfterSeconds: number
}

export default fp<ChangeFeedOptions>(async function changeFeed (app, opts) {
  const log = app.log.child({ component: 'change-feed' })
  const redis = app.redis
  const streams = Array.from({ length: app.keySpace.buckets }, (_, bucket) => app.keySpace.bucket(bucket).events)
  const ids = feedIds(isCluster(redis), app.keySpace.buckets)
  const stallAfterMs = opts.stallAfterSeconds * 1000
  const subscribers = new Set<FeedSubscriber>()
  const registers = [app.metrics.registry]
  const metrics = {
    sent: new Counter({ name: 'seller_state_feed_events_sent_total', help: 'Events written to open change feeds (one per feed it reached), by event', labelNames: ['event'], registers }),
    open: new Gauge({ name: 'seller_state_feed_streams_open', help: 'Open change feeds (GET /seller/active/events) on this replica', registers }),
    cutOff: new Counter({ name: 'seller_state_feed_streams_cut_off_total', help: 'Change feeds closed by the service: slow (its buffer full) or closing', labelNames: ['reason'], registers })
  }

  const reader: FeedReader = isCluster(redis) ? pollingFeedReader(redis, streams) : blockingFeedReader(redis, streams[0] as string)
  let started: Promise<void> | null = null
  let position: FeedPosition = ORIGIN
  const state = { closed: false }

  function eventOf ({ position, entry }: PositionedEntry, now: number): FeedEvent {
    const event = changeEventOf(entry, now, stallAfterMs)
    return { id: ids.format(position), event, json: JSON.stringify(event) }
  }

  function handOut (entries: PositionedEntry[]): void {
    const now = Date.now()
    for (const entry of entries) {
      position = entry.position
      const { id, event, json } = eventOf(entry, now)
      for (const subscriber of subscribers) subscriber.event(id, event, json)
    }
  }

  /** After an outage: entries trimmed while the loop was away are lost to every feed. */
  async function checkGap (): Promise<void> {
    const restart = await reader.recover()
    if (restart === null) return
    log.warn({ position: ids.format(position), restart: ids.format(restart) }, 'The change stream was trimmed past this replica\'s position: feeds are reset')
    position = restart
    for (const subscriber of subscribers) subscriber.reset(ids.format(position))
  }

  async function loop (): Promise<void> {
    let failed = false
    while (!state.closed) {
      try {
        if (failed) await checkGap()
        failed = false
        handOut(await reader.next())
      } catch (err) {
        if (state.closed) return
        if (!failed) log.warn({ err }, 'Reading the change stream failed; retrying')
        failed = true
        await sleep(RETRY_MS)
      }
    }
  }

  async function start (): Promise<void> {
    position = await reader.start()
    loop().catch((err: unknown) => log.error({ err }, 'The change feed loop stopped'))
  }

  async function * eventsBetween (from: FeedPosition, to: FeedPosition): AsyncGenerator<FeedEvent> {
    for await (const entry of changesBetween(redis, streams, from, to, CATCH_UP_BATCH)) yield eventOf(entry, Date.now())
  }

  app.decorate('changeFeed', {
    async position () {
      started ??= start().catch((err: unknown) => {
        started = null
        throw err
      })
      await started
      return ids.format(position)
    },
    async since (lastEventId, upTo) {
      const from = ids.parse(lastEventId)
      const to = ids.parse(upTo)
      if (from === null || to === null) return null
      const bounds = await Promise.all(streams.map(async (stream) => await streamBounds(redis, stream)))
      if (bounds.some((stream, bucket) => mayHaveMissed(stream, from.streamId, from.bucket === bucket))) return null
      return eventsBetween(from, to)
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
    reader.close()
  })
}, { name: 'change-feed', dependencies: ['redis', 'metrics'] })
