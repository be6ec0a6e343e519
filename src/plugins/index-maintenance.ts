/**
 * Keeps the indexes true without anybody asking:
 * - migrates the Python prototype's plain SET at start-up and whenever the connection comes
 *   back (a prototype still running may recreate it); atomic, so replicas may race;
 * - sweeps the indexes at start-up and every SWEEP_INTERVAL_SECONDS (0: at start-up only), one
 *   replica at a time, and reports drift.
 */
import { once } from 'node:events'
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import fp from 'fastify-plugin'
import { migrateLegacyIndex } from '../redis/legacy-index.js'
import { sweepIndex, sweepIndexIfLeader, type EntryOf, type SweepReport } from '../redis/index-sweep.js'
import { parseDocument, UnreadableDocumentError } from '../state/conversation-summary.js'
import { indexEntryOf } from '../state/index-entry.js'

const START_UP_SWEEP_WAIT_MS = 5000

/** Where a stored document goes in the indexes (null: not a state document), for the sweep and the move to a cluster. */
export const entryOf: EntryOf = (json) => {
  try {
    return indexEntryOf(parseDocument(json))
  } catch (err) {
    if (err instanceof UnreadableDocumentError) return null
    throw err
  }
}

export interface IndexMaintenanceOptions {
  sweepIntervalSeconds: number
  /** How long start-up waits for a first connection before going on without one. */
  connectWaitMs: number
}

export interface IndexMaintenance {
  /** Sweeps now, whatever the other replicas do. */
  sweep: () => Promise<SweepReport>
  /** Sweeps unless another replica swept within the period; null when it did. */
  sweepIfLeader: () => Promise<SweepReport | null>
}

declare module 'fastify' {
  interface FastifyInstance {
    indexMaintenance: IndexMaintenance
  }
}

export default fp<IndexMaintenanceOptions>(async function indexMaintenance (app, opts) {
  const log = app.log.child({ component: 'index-maintenance' })
  const keys = app.keySpace
  const holder = randomUUID()
  // A little under the period, so that the replica that swept last can take its next turn.
  const lockTtlMs = Math.max(1000, opts.sweepIntervalSeconds * 900)

  function reportSweep (report: SweepReport): SweepReport {
    app.metrics.recordSweep(report)
    const drift = report.ghosts + report.orphans
    if (drift > 0) log.warn(report, 'Index drift repaired: entries without a state removed, states without an entry indexed')
    else log.debug(report, 'Index sweep found no drift')
    if (report.prototypeStates > 0) {
      log.warn({ prototypeStates: report.prototypeStates }, `${report.prototypeStates} states are still the Python prototype's pickles, which this service cannot read (500 STATE_UNREADABLE): carry them over with python -m seller_state.migrate_prototype (README, "Migration day")`)
    }
    return report
  }

  app.decorate('indexMaintenance', {
    sweep: async () => reportSweep(await sweepIndex(app.redis, keys, entryOf)),
    sweepIfLeader: async () => {
      const report = await sweepIndexIfLeader(app.redis, keys, entryOf, lockTtlMs, holder)
      return report === null ? null : reportSweep(report)
    }
  })

  async function migrate (): Promise<void> {
    try {
      const result = await migrateLegacyIndex(app.redis, keys)
      if (result !== null) log.info(result, 'Migrated the prototype\'s active-contacts SET to the sorted-set index')
    } catch (err) {
      log.warn({ err }, 'Legacy index migration failed; it runs again at the next connection')
    }
  }

  let timer: NodeJS.Timeout | undefined
  app.addHook('onReady', async () => {
    if (app.redis.status !== 'ready') {
      const abort = new AbortController()
      await Promise.race([
        once(app.redis, 'ready', { signal: abort.signal }),
        sleep(opts.connectWaitMs, undefined, { signal: abort.signal })
      ]).catch(() => {})
      abort.abort()
    }
    if (app.redis.status === 'ready') {
      await migrate()
      // States written before the listing indexes existed (or restored from elsewhere) are
      // indexed before the first listing, if the sweep is quick. Over a million contacts it takes
      // a minute or more (bench/million.ts): start-up waits no longer than START_UP_SWEEP_WAIT_MS
      // (Fastify ends a start-up whose onReady outlasts its plugin timeout), the rest goes on behind.
      const sweep = app.indexMaintenance.sweepIfLeader().catch((err: unknown) => log.warn({ err }, 'Start-up index sweep failed'))
      const waited = new AbortController()
      await Promise.race([sweep, sleep(START_UP_SWEEP_WAIT_MS, undefined, { signal: waited.signal }).catch(() => {})])
      waited.abort()
    }
    app.redis.on('ready', migrate)

    if (opts.sweepIntervalSeconds > 0) {
      timer = setInterval(() => {
        app.indexMaintenance.sweepIfLeader().catch((err: unknown) => log.warn({ err }, 'Index sweep failed; it runs again next period'))
      }, opts.sweepIntervalSeconds * 1000)
      timer.unref()
    }
  })
  app.addHook('onClose', async () => clearInterval(timer))
}, { name: 'index-maintenance', dependencies: ['state-repository', 'metrics'] })
