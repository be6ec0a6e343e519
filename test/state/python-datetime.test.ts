/**
 * Python isoformat() datetimes: offsets, instants (naive read as UTC) and the formats the
 * service writes back.
 */
import t from 'tap'
import { formatEpochMs, hasOffset, toEpochMs, withOffset } from '../../src/state/python-datetime.js'

t.test('hasOffset tells aware datetimes from naive ones', async (t) => {
  for (const aware of [
    '2026-01-23T10:30:00+00:00',
    '2026-01-23T10:30:00-05:00',
    '2026-01-23T10:30:00.123456+05:30',
    '2026-01-23T10:30:00Z',
    '2026-01-23T10:30:00+05:30:15',
    '2026-01-23T10:30:00+05:30:15.5',
    '2026-01-23T10:30+01:00'
  ]) {
    t.equal(hasOffset(aware), true, aware)
  }
  for (const naive of [
    '2026-01-23T10:30:00',
    '2026-01-23T10:30:00.123456',
    '2026-01-23T10:30:00.1',
    '2026-01-23T10:30',
    '2026-01-23'
  ]) {
    t.equal(hasOffset(naive), false, naive)
  }
})

t.test('toEpochMs reads a naive datetime as UTC', async (t) => {
  t.equal(toEpochMs('2026-01-23T10:30:00'), Date.UTC(2026, 0, 23, 10, 30, 0))
  t.equal(toEpochMs('2026-01-23T10:30'), Date.UTC(2026, 0, 23, 10, 30, 0), 'minutes only')
  t.equal(toEpochMs('1970-01-01T00:00:00'), 0)
  t.equal(toEpochMs('0001-01-01T00:00:00'), -62135596800000, 'Python\'s datetime.min')
  t.equal(toEpochMs('9999-12-31T23:59:59.999999'), Date.UTC(9999, 11, 31, 23, 59, 59) + 999.999, 'Python\'s datetime.max')
})

t.test('toEpochMs keeps every fraction digit, microseconds as a fraction of a millisecond', async (t) => {
  const second = Date.UTC(2026, 0, 23, 10, 30, 0)
  const near = (actual: number | null, expected: number, message: string): void => {
    t.ok(actual !== null && Math.abs(actual - expected) < 1e-4, `${message}: ${actual} ~ ${expected}`)
  }
  near(toEpochMs('2026-01-23T10:30:00.123456'), second + 123.456, 'microseconds')
  near(toEpochMs('2026-01-23T10:30:00.999999'), second + 999.999, 'the last microsecond of a second')
  near(toEpochMs('2026-01-23T10:30:00.000001'), second + 0.001, 'one microsecond')
  t.equal(toEpochMs('2026-01-23T10:30:00.5'), second + 500)
  t.equal(toEpochMs('2026-01-23T10:30:00.25'), second + 250)
  t.equal(toEpochMs('2026-01-23T10:30:00.123'), second + 123)
  near(toEpochMs('2026-01-23T10:30:00.123456+00:00'), second + 123.456, 'with an offset too')
  near(toEpochMs('2026-01-23T10:30:00.987654-05:00'), second + 5 * 3_600_000 + 987.654, 'with a negative offset')
  t.ok((toEpochMs('2026-01-23T10:30:00.000002') as number) > (toEpochMs('2026-01-23T10:30:00.000001') as number),
    'one microsecond apart still orders')
})

t.test('toEpochMs applies the offset of an aware datetime', async (t) => {
  const utc = Date.UTC(2026, 0, 23, 10, 30, 0)
  t.equal(toEpochMs('2026-01-23T10:30:00+00:00'), utc)
  t.equal(toEpochMs('2026-01-23T10:30:00Z'), utc)
  t.equal(toEpochMs('2026-01-23T16:00:00+05:30'), utc)
  t.equal(toEpochMs('2026-01-23T05:30:00-05:00'), utc)
  t.equal(toEpochMs('2026-01-24T00:30:00+14:00'), utc, 'across the date line')
  t.equal(toEpochMs('2026-01-22T22:30:00-12:00'), utc)
  t.not(toEpochMs('2026-01-23T10:30:00+01:00'), toEpochMs('2026-01-23T10:30:00'), 'an offset is not ignored')
})

// Python writes seconds in an offset when the utcoffset has them (historical local mean times).
t.test('toEpochMs counts the seconds (and fraction) of an offset', async (t) => {
  t.equal(toEpochMs('2026-01-23T10:30:00+05:30:15'), Date.UTC(2026, 0, 23, 4, 59, 45))
  t.equal(toEpochMs('2026-01-23T10:30:00-00:00:30'), Date.UTC(2026, 0, 23, 10, 30, 30))
  t.equal(toEpochMs('2026-01-23T10:30:00+00:00:00.500000'), Date.UTC(2026, 0, 23, 10, 29, 59, 500))
})

t.test('toEpochMs gives null for what is not a datetime', async (t) => {
  for (const text of ['', 'yesterday', '2026-13-01T00:00:00', '2026-01-32T00:00:00', '2026-01-23T25:00:00', '2026-01-23T10:61:00', 'T10:30:00']) {
    t.equal(toEpochMs(text), null, JSON.stringify(text))
  }
})

// JavaScript's Date would roll an impossible day over into the next month (2026-02-30 into
// 2026-03-02); Python's fromisoformat refuses such dates, and so does toEpochMs.
t.test('toEpochMs gives null for a day its month does not have', async (t) => {
  for (const text of ['2026-02-30T10:00:00', '2026-02-29T10:00:00', '2026-04-31T10:00:00+00:00', '2026-06-31T00:00:00']) {
    t.equal(toEpochMs(text), null, text)
  }
  t.equal(toEpochMs('2028-02-29T10:00:00'), Date.UTC(2028, 1, 29, 10), 'a leap day exists')
})

t.test('withOffset appends +00:00 to a naive datetime and keeps an aware one as sent', async (t) => {
  t.equal(withOffset('2026-01-23T10:30:00'), '2026-01-23T10:30:00+00:00')
  t.equal(withOffset('2026-01-23T10:30:00.123456'), '2026-01-23T10:30:00.123456+00:00', 'every digit kept')
  t.equal(withOffset('2026-01-23T10:30:00.123456-05:00'), '2026-01-23T10:30:00.123456-05:00')
  t.equal(withOffset('2026-01-23T10:30:00Z'), '2026-01-23T10:30:00Z')
  t.equal(withOffset('2026-01-23T10:30:00+05:30:15'), '2026-01-23T10:30:00+05:30:15')
  const naive = '2026-01-23T10:30:00.123456'
  t.equal(toEpochMs(withOffset(naive)), toEpochMs(naive), 'the same instant')
})

t.test('formatEpochMs writes ISO-8601 with an explicit UTC offset', async (t) => {
  t.equal(formatEpochMs(0), '1970-01-01T00:00:00.000+00:00')
  t.equal(formatEpochMs(Date.UTC(2026, 0, 23, 10, 30, 0, 123)), '2026-01-23T10:30:00.123+00:00')
  t.equal(formatEpochMs(Date.UTC(2026, 11, 31, 23, 59, 59, 999)), '2026-12-31T23:59:59.999+00:00')
  t.equal(hasOffset(formatEpochMs(Date.now())), true)
})

t.test('formatEpochMs and toEpochMs round-trip every millisecond', async (t) => {
  let seed = 20260123
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648
    return seed / 2147483648
  }
  const failures: number[] = []
  for (let i = 0; i < 2000; i++) {
    const ms = Math.floor(random() * Date.UTC(9999, 0, 1))
    if (toEpochMs(formatEpochMs(ms)) !== ms) failures.push(ms)
  }
  t.strictSame(failures, [])
})
