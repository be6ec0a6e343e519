/**
 * Python isoformat() datetimes as the bot sends them. Naive values are read as UTC, the
 * service's documented convention; the stored document keeps them as sent.
 */
const HAS_OFFSET = /(Z|[+-]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)$/

export function hasOffset (isoformat: string): boolean {
  return HAS_OFFSET.test(isoformat)
}

/** Milliseconds since the epoch, or null when the text is not a valid datetime. */
export function toEpochMs (isoformat: string): number | null {
  let text = hasOffset(isoformat) ? isoformat : `${isoformat}Z`
  // JavaScript's Date accepts neither seconds in an offset nor more than 3 fraction digits.
  text = text.replace(/([+-]\d{2}:\d{2}):\d{2}(\.\d+)?$/, '$1').replace(/(\.\d{3})\d+/, '$1')
  const ms = Date.parse(text)
  return Number.isNaN(ms) ? null : ms
}

/** The same instant with an explicit offset, keeping every digit the bot sent. */
export function withOffset (isoformat: string): string {
  return hasOffset(isoformat) ? isoformat : `${isoformat}+00:00`
}

/** An epoch time as ISO-8601 with an explicit UTC offset, as Python's fromisoformat reads it. */
export function formatEpochMs (ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+00:00')
}
