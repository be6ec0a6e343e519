/**
 * How log lines read on a terminal (server.ts uses pino-pretty only when stdout is a TTY): one
 * line per entry, the request's method, path, status and code after the message.
 */
export const PRETTY_LOG_OPTIONS = {
  singleLine: true,
  messageFormat: '{msg}{if method} {method} {path}{end}{if status} {status}{end}{if code} {code}{end}'
}
