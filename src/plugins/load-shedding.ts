/**
 * Load shedding with @fastify/under-pressure: while the event loop lags past
 * MAX_EVENT_LOOP_DELAY_MS, or the heap grows past MAX_HEAP_USED_BYTES, requests get a 503 with
 * Retry-After instead of piling up; /health/ready says not ready, /health/live stays alive.
 */
import fp from 'fastify-plugin'
import underPressure from '@fastify/under-pressure'
import { OverloadedError } from '../errors.js'
import { RETRY_AFTER_SECONDS } from './error-handler.js'

export interface LoadSheddingOptions {
  maxEventLoopDelayMs: number
  maxHeapUsedBytes: number
}

export default fp<LoadSheddingOptions>(async function loadShedding (app, opts) {
  await app.register(underPressure, {
    maxEventLoopDelay: opts.maxEventLoopDelayMs,
    maxHeapUsedBytes: opts.maxHeapUsedBytes,
    retryAfter: RETRY_AFTER_SECONDS,
    sampleInterval: 250,
    customError: OverloadedError
  })
}, { name: 'load-shedding' })
