/**
 * Writes the OpenAPI document of the service to openapi.json (CI fails when it is stale).
 * Builds the app as the server does, without Redis and without listening.
 */
import { writeFile } from 'node:fs/promises'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'

// An address nothing listens on: the document needs no Redis.
const app = await buildApp(loadConfig({ LOG_LEVEL: 'silent', REDIS_URL: 'redis://127.0.0.1:1', REDIS_COMMAND_TIMEOUT_MS: '50', SWEEP_INTERVAL_SECONDS: '0' }))
await app.ready()
await writeFile(new URL('../openapi.json', import.meta.url), `${JSON.stringify(app.swagger(), null, 2)}\n`)
await app.close()
