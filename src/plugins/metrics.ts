/**
 * Prometheus metrics of what the service decides: conflicts, idempotent replays, unreadable
 * states, index sweeps. Each app has its own registry, so several apps in one process (tests,
 * workers) do not collide.
 */
import fp from 'fastify-plugin'
import { Counter, Gauge, Registry } from 'prom-client'
import type { SweepReport } from '../redis/index-sweep.js'

export interface ServiceMetrics {
  registry: Registry
  unreadableStates: Counter<'operation'>
  preconditionFailures: Counter<'status'>
  idempotentReplays: Counter
  patchRetries: Counter
  recordSweep: (report: SweepReport) => void
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: ServiceMetrics
  }
}

export default fp(async function metricsPlugin (app) {
  const registry = new Registry()
  const registers = [registry]
  const sweepEntries = new Counter({
    name: 'seller_state_sweep_entries_total',
    help: 'Index entries handled by the sweep: expired (normal), ghost (state gone: drift), orphan (state without entry: drift)',
    labelNames: ['kind'],
    registers
  })
  const sweepRuns = new Counter({ name: 'seller_state_sweep_runs_total', help: 'Index sweeps run by this replica', registers })
  const indexDrift = new Gauge({ name: 'seller_state_index_drift', help: 'Ghosts plus orphans found by the last sweep of this replica', registers })
  const prototypeStates = new Gauge({
    name: 'seller_state_prototype_states',
    help: 'State keys holding a pickle of the Python prototype at the last sweep of this replica (python -m seller_state.migrate_prototype carries them over)',
    registers
  })

  const metrics: ServiceMetrics = {
    registry,
    unreadableStates: new Counter({
      name: 'seller_state_unreadable_total',
      help: 'Reads that met a stored value that is not a state of this service',
      labelNames: ['operation'],
      registers
    }),
    preconditionFailures: new Counter({
      name: 'seller_state_precondition_failures_total',
      help: 'Writes refused by a precondition: 412 (If-Match / If-None-Match failed) or 428 (none given)',
      labelNames: ['status'],
      registers
    }),
    idempotentReplays: new Counter({ name: 'seller_state_idempotent_replays_total', help: 'Writes answered from an Idempotency-Key record', registers }),
    patchRetries: new Counter({ name: 'seller_state_patch_retries_total', help: 'PATCH merges redone because another writer came in between', registers }),
    recordSweep (report) {
      sweepRuns.inc()
      sweepEntries.inc({ kind: 'expired' }, report.expired)
      sweepEntries.inc({ kind: 'ghost' }, report.ghosts)
      sweepEntries.inc({ kind: 'orphan' }, report.orphans)
      indexDrift.set(report.ghosts + report.orphans)
      prototypeStates.set(report.prototypeStates)
    }
  }
  app.decorate('metrics', metrics)

  app.addHook('onError', async (_request, _reply, error) => {
    if (error.code === 'PRECONDITION_FAILED') metrics.preconditionFailures.inc({ status: '412' })
    else if (error.code === 'PRECONDITION_REQUIRED') metrics.preconditionFailures.inc({ status: '428' })
    else if (error.code === 'STATE_UNREADABLE') metrics.unreadableStates.inc({ operation: 'read' })
  })
}, { name: 'metrics' })
