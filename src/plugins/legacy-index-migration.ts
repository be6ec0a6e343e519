/**
 * Migrates the Python prototype's plain SET of active contacts to the sorted-set index, at
 * start-up and whenever the connection comes back (a prototype still running may recreate it).
 * The script is atomic and does nothing once the index is ours, so replicas may race.
 */
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import fp from 'fastify-plugin'

export interface LegacyIndexMigrationOptions {
  /** How long start-up waits for a first connection before going on without one. */
  connectWaitMs: number
}

export default fp<LegacyIndexMigrationOptions>(async function legacyIndexMigration (app, opts) {
  const log = app.log.child({ component: 'legacy-index-migration' })

  async function migrate (): Promise<void> {
    try {
      const result = await app.stateRepository.migrateLegacyIndex()
      if (result !== null) log.info(result, 'Migrated the prototype\'s active-contacts SET to the sorted-set index')
    } catch (err) {
      log.warn({ err }, 'Legacy index migration failed; it runs again at the next connection')
    }
  }

  app.addHook('onReady', async () => {
    if (app.redis.status !== 'ready') {
      const abort = new AbortController()
      await Promise.race([
        once(app.redis, 'ready', { signal: abort.signal }),
        sleep(opts.connectWaitMs, undefined, { signal: abort.signal })
      ]).catch(() => {})
      abort.abort()
    }
    if (app.redis.status === 'ready') await migrate()
    app.redis.on('ready', migrate)
  })
}, { name: 'legacy-index-migration', dependencies: ['state-repository'] })
