/**
 * Runs the service: configuration, logger, listen, graceful shutdown.
 */
import closeWithGrace from 'close-with-grace'
import { buildApp, REDACTED_PATHS } from './app.js'
import { ConfigError, loadConfig } from './config.js'
import { PRETTY_LOG_OPTIONS } from './log-format.js'

async function main (): Promise<void> {
  let config
  try {
    config = loadConfig()
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    process.stderr.write(`${err.message}\n`)
    process.exit(1)
  }

  const app = await buildApp(config, {
    logger: {
      level: config.logLevel,
      redact: REDACTED_PATHS,
      // JSON for machines; readable lines only when a person watches a terminal.
      ...(process.stdout.isTTY ? { transport: { target: 'pino-pretty', options: PRETTY_LOG_OPTIONS } } : {})
    }
  })

  if (config.apiKeys.length === 0) {
    app.log.warn('RUNNING OPEN: API_KEYS is not set, so anyone who can reach the service may read and write every state; set API_KEYS=read:<token>,write:<token> to require tokens')
  }

  // On SIGTERM: stop accepting, let the requests in flight finish, close Redis, exit 0.
  closeWithGrace({ delay: config.shutdownGraceMs }, async ({ signal, err }) => {
    if (err !== undefined) app.log.error({ err }, 'Shutting down after an error')
    else app.log.info({ signal }, 'Shutting down')
    await app.close()
  })

  await app.listen({ port: config.port, host: config.host })
}

await main()
