/**
 * Python isoformat() datetimes as the bot sends them. Naive values are read as UTC, the
 * service's documented convention; the stored document keeps them as sent.
 */
import { PYTHON_DATETIME_PATTERN } from '../../schemas/common.js'

const ISOFORMAT = new RegExp(PYTHON_DATETIME_PATTERN)

export function hasOffset (isoformat: string): boolean {
  return isoformat.endsWith('Z') || ISOFORMAT.exec(isoformat)?.[8] !== undefined
}

const fractionMs = (digits: string | undefined): number => digits === undefined ? 0 : Number(`0.${digits}`) * 1000

/**
 * Milliseconds since the epoch, with the microseconds as a fraction so that ordering keeps every
 * digit; null when the text is not a datetime that exists (2026-02-30, hour 24, ...).
 */
export function toEpochMs (isoformat: string): number | null {
  const match = ISOFORMAT.exec(isoformat)
  if (match === null) return null
  const [year, month, day, hour, minute, second = 0] = match.slice(1, 7).map((part) => Number(part ?? 0)) as number[]
  const date = new Date(0)
  // setUTCFullYear, unlike Date.UTC, does not map the years 0-99 to 1900-1999.
  date.setUTCFullYear(year as number, (month as number) - 1, day)
  date.setUTCHours(hour as number, minute, second, 0)
  const rolledOver = date.getUTCMonth() !== (month as number) - 1 || date.getUTCDate() !== day ||
    date.getUTCHours() !== hour || date.getUTCMinutes() !== minute || date.getUTCSeconds() !== second
  if (rolledOver) return null

  const [sign, offsetHours, offsetMinutes, offsetSeconds, offsetFraction] = match.slice(8)
  let offsetMs = 0
  if (sign !== undefined) {
    if (Number(offsetHours) > 23 || Number(offsetMinutes) > 59 || Number(offsetSeconds ?? 0) > 59) return null
    offsetMs = (Number(offsetHours) * 3600 + Number(offsetMinutes) * 60 + Number(offsetSeconds ?? 0)) * 1000 + fractionMs(offsetFraction)
    if (sign === '-') offsetMs = -offsetMs
  }
  return date.getTime() + fractionMs(match[7]) - offsetMs
}

/** The same instant with an explicit offset, keeping every digit the bot sent. */
export function withOffset (isoformat: string): string {
  return hasOffset(isoformat) ? isoformat : `${isoformat}+00:00`
}

/** An epoch time as ISO-8601 with an explicit UTC offset, as Python's fromisoformat reads it. */
export function formatEpochMs (ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+00:00')
}
