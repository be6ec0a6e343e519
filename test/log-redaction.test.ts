/**
 * The log redactor on its own: every spelling a configured token can take in a JSON log line,
 * for tokens made of any visible ASCII (quotes and backslashes included), and nothing else cut.
 * test/reliability/security/logs.test.ts checks the same through the service's real logs.
 */
import t from 'tap'
import { secretRedactor, withSecretsRedacted } from '../src/log-redaction.js'

const HEX = 'f3a9c27e5b1d4086a7e2c9b4d1f08e6a3c5b7d92'
const AWKWARD = 'k9+Qz/W"m\\3x%T7=~'

/** A line as pino writes it, with the value JSON-encoded. */
const line = (value: string): string => JSON.stringify({ level: 30, msg: value })

t.test('every spelling of a token is cut', async (t) => {
  const redact = secretRedactor([HEX, AWKWARD])
  if (redact === null) throw new Error('no redactor')
  const spellings = [
    AWKWARD,
    encodeURIComponent(AWKWARD),
    encodeURIComponent(AWKWARD).replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()),
    Buffer.from(AWKWARD).toString('base64'),
    Buffer.from(AWKWARD).toString('base64url'),
    HEX
  ]
  for (const spelling of spellings) {
    const redacted = redact(line(`/seller/state/x?token=${spelling}&page=2`))
    t.equal(redacted, line('/seller/state/x?token=[REDACTED]&page=2'), spelling)
  }
  t.equal(redact(line(`reqId ${HEX}${HEX}`)), line('reqId [REDACTED][REDACTED]'), 'each occurrence')
})

t.test('what is not a configured token is left alone', async (t) => {
  const redact = secretRedactor([HEX])
  const text = line(`${HEX.slice(0, -1)} ${HEX.toUpperCase()} contact-1`)
  t.equal(redact?.(text), text, 'a near miss and another letter case are other strings')
  t.equal(secretRedactor([]), null, 'no tokens, no redactor')
})

t.test('the redactor joins the logger options, after a hook they already have', async (t) => {
  t.equal(withSecretsRedacted(undefined, [HEX]), undefined, 'no logger stays no logger')
  t.equal(withSecretsRedacted(false, [HEX]), false, 'nor does a logger turned off')
  const options = { level: 'info', redact: ['req.headers.authorization'] }
  t.equal(withSecretsRedacted(options, []), options, 'without tokens the options are unchanged')
  const withHook = withSecretsRedacted({ ...options, hooks: { streamWrite: (text: string) => text.replace('x', HEX) } }, [HEX])
  if (typeof withHook !== 'object') throw new Error('not options')
  t.match(withHook, options, 'the other options are kept')
  t.equal(withHook.hooks?.streamWrite?.('x and y'), '[REDACTED] and y', 'the earlier hook runs first, then the redactor')
})
