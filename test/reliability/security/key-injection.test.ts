/**
 * Key injection: no contact id, Idempotency-Key or location_id can address another key in Redis.
 * Redis is compared key by key (content and TTL) around every request: a refused request must
 * leave no trace, and an accepted one may touch only its own contact's keys.
 */
import t from 'tap'
import fc from 'fast-check'
import { ID_PATTERN } from '../../../schemas/common.js'
import { build, deleteStoredKeys } from '../../helper.js'
import { keyChanges, snapshotKeys, type KeySnapshot } from '../../support/redis-snapshot.js'
import { scanKeys } from '../../support/scan-keys.js'
import { documentText, inject, listen, MERGE_PATCH, QUIET, raw } from './support.js'

const ID = new RegExp(ID_PATTERN)

/** Contacts with a state and an idempotency record, whose ids look like what an attack would aim at. */
const VICTIMS = ['victim', 'victim-1', 'victim_1', 'Victim', 'VICTIM', 'victi', 'v', 'state', 'idempotency', 'active_contacts', 'index_meta', 'location', 'x'.repeat(128)]
const VICTIM_LOCATIONS = ['loc-1', 'loc_victim', 'victim']
const VICTIM_KEYS = ['sms-1', 'a:b', '*', 'victim:sms-1']

/** Path segments an attacker would try, already in URL form. */
const ENCODED_TRICKS = ['%2F', '%2f', '%00', '%0A', '%0D%0A', '%3A', '%2A', '%3F', '%23', '%20', '%2e%2e', '..', '.', '%25', '%5B%5D', '%7B%7D', '%E2%80%8B', '%C3%A9', '%FF']
const VISIBLE_ASCII = fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code))
const ID_CHARACTER = fc.constantFrom(...'Aaz09_-:*?[]{}/.\\%\n\r\t \u0000\u00e9\u200b\u{1f600}')

/** An attack: the contact id as sent in the path, the document's location, the idempotency keys. */
const anyAttack = fc.record({
  segment: fc.oneof(
    { arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/), weight: 6 },
    fc.string({ unit: 'grapheme', maxLength: 40 }).map(encodeURIComponent),
    fc.string({ unit: ID_CHARACTER, maxLength: 20 }).map(encodeURIComponent),
    fc.tuple(fc.constantFrom('', 'state:', 'state%3A', ...ENCODED_TRICKS), fc.constantFrom(...VICTIMS), fc.constantFrom('', '*', ...ENCODED_TRICKS, '-', '_', 'x'))
      .map(([before, victim, after]) => `${before}${victim}${after}`),
    fc.constantFrom(...VICTIMS).chain((victim) => fc.integer({ min: 1, max: victim.length }).map((length) => victim.slice(0, length))),
    // Named like the fields of a state or an idempotency record (state-envelope.ts, scripts.ts).
    fc.constantFrom('doc', 'etag', 'at', 'exp', 'fp', 'status', 'body'),
    fc.string({ unit: fc.constantFrom('a', '-', '_', '9'), minLength: 120, maxLength: 140 })
  ),
  location: fc.oneof(
    { arbitrary: fc.constantFrom(...VICTIM_LOCATIONS), weight: 2 },
    { arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/), weight: 2 },
    fc.constantFrom('loc-1:Q2:WARM:u', 'loc-1*', '*', '', '../loc-1', 'loc\n1', 'l'.repeat(129)),
    fc.string({ unit: ID_CHARACTER, maxLength: 12 })
  ),
  putKey: fc.option(fc.oneof(fc.constantFrom(...VICTIM_KEYS, '?', '[a-z]*', 'has space', 'k'.repeat(256)), fc.string({ unit: VISIBLE_ASCII, minLength: 1, maxLength: 30 }))),
  deleteKey: fc.option(fc.oneof(fc.constantFrom(...VICTIM_KEYS), fc.string({ unit: VISIBLE_ASCII, minLength: 1, maxLength: 30 }))),
  bodyContactId: fc.constantFrom<'absent' | 'path' | 'victim'>('absent', 'path', 'victim')
})

/**
 * The id and the Idempotency-Key that together spell another contact's record:
 * `idempotency:<victim>:<a>:<b>` is also contact `<victim>:<a>` with key `<b>`, were ':' allowed.
 */
const splicedAttack = fc.constantFrom(...VICTIMS.map((victim, i) => [victim, VICTIM_KEYS[i % VICTIM_KEYS.length] as string] as const))
  .filter(([, key]) => key.includes(':'))
  .map(([victim, key]) => ({
    segment: `${victim}%3A${key.slice(0, key.indexOf(':'))}`,
    location: 'loc-1',
    putKey: key.slice(key.indexOf(':') + 1),
    deleteKey: null,
    bodyContactId: 'absent' as const
  }))

const attack = fc.oneof({ arbitrary: anyAttack, weight: 9 }, splicedAttack)

/** The contact id the server reads from a path segment; null where the router cannot decode it. */
function decoded (segment: string): string | null {
  try {
    return decodeURIComponent(segment)
  } catch {
    return null
  }
}

t.test('no contact id, Idempotency-Key or location_id can address another key', async (t) => {
  const started = Date.now()
  const ctx = await build(t, QUIET)
  const { app, redis, keys } = ctx
  const json = { 'content-type': 'application/json' }
  /** Redis holding the victims only; after a failed case too, so that shrinking starts clean. */
  const victimsOnly = async (): Promise<KeySnapshot> => {
    await deleteStoredKeys(ctx)
    for (const [i, id] of VICTIMS.entries()) {
      const res = await inject(app, 'PUT', `/seller/state/${id}`, { ...json, 'idempotency-key': VICTIM_KEYS[i % VICTIM_KEYS.length] as string }, documentText({ location_id: VICTIM_LOCATIONS[i % VICTIM_LOCATIONS.length] }))
      if (res.status !== 201) throw new Error(`victim ${id}: ${res.status}`)
    }
    return await snapshotKeys(redis, keys.prefix)
  }
  let baseline = await victimsOnly()
  let cases = 0
  let requests = 0
  let writes = 0

  const attackOnOthers = attack.filter(({ segment }) => !VICTIMS.includes(decoded(segment) ?? ''))
  await fc.assert(fc.asyncProperty(attackOnOthers, async ({ segment, location, putKey, deleteKey, bodyContactId }) => {
    const id = decoded(segment)
    const owner = id !== null && ID.test(id) ? id : null
    const url = `/seller/state/${segment}`
    const contactId = { absent: {}, path: { contact_id: id }, victim: { contact_id: 'victim' } }[bodyContactId]
    const steps: Array<[string, Record<string, string>, string | undefined]> = [
      ['PUT', { ...json, ...(putKey === null ? {} : { 'idempotency-key': putKey }) }, JSON.stringify({ ...JSON.parse(documentText({ location_id: location })), ...contactId })],
      ['PATCH', json, '{"motivation":"patched","location_id":"loc-1"}'],
      ['GET', {}, undefined],
      ['DELETE', deleteKey === null ? {} : { 'idempotency-key': deleteKey }, undefined]
    ]
    cases++
    const runCase = async (): Promise<void> => {
      let previous = baseline
      for (const [method, headers, payload] of steps) {
        const answer = await inject(app, method, url, headers, payload)
        requests++
        const now = await snapshotKeys(redis, keys.prefix)
        // Nobody else's keys change; a refused request changes nothing at all.
        const changed = [...keyChanges(baseline, now, keys, owner), ...(answer.status >= 300 ? keyChanges(previous, now, keys) : [])]
        if (changed.length > 0) throw new Error(`${method} ${url}: ${answer.status}, and ${changed.join('; ')}`)
        previous = now
        if (owner === null && answer.status !== 400 && answer.status !== 404) throw new Error(`${method} ${url}: ${answer.status} for an invalid id`)
        if (answer.status >= 500) throw new Error(`${method} ${url}: ${answer.status} ${answer.body.toString()}`)
        if (method === 'PUT' && answer.status < 300) {
          writes++
          // The first write of this contact (every case starts from the victims alone): an
          // Idempotency-Key of another contact's write must not replay that write.
          const body = JSON.parse(answer.body.toString()) as { contact_id: string }
          if (answer.status !== 201 || answer.headers['idempotent-replayed'] !== undefined || body.contact_id !== owner) {
            throw new Error(`PUT ${url}: ${answer.status} ${String(answer.headers['idempotent-replayed'])} for ${body.contact_id}`)
          }
        }
      }
      if (owner !== null) {
        // The attacker's own traces go: the DELETE above may have been refused, and it leaves
        // the idempotency records.
        await inject(app, 'DELETE', url)
        // (Its records share its slot: one DEL takes them all.)
        const ownKeys = keys.of(owner)
        const records = await scanKeys(redis, `${ownKeys.idempotency(owner, '')}*`)
        if (records.length > 0) await redis.del(...records)
        // And its change events.
        const events = await redis.xrange(ownKeys.events, '-', '+')
        const own = events.filter(([, fields]) => fields.some((value, i) => i % 2 === 0 && value === 'id' && fields[i + 1] === owner))
        if (own.length > 0) await redis.xdel(ownKeys.events, ...own.map(([id]) => id))
        // A stream emptied stays: gone, if no victim's bucket had it (buckets on a cluster).
        if (!baseline.has(ownKeys.events) && await redis.xlen(ownKeys.events) === 0) await redis.del(ownKeys.events)
      }
    }
    const failure: unknown = await runCase().then(() => null, (err: unknown) => err)
    const left = keyChanges(baseline, await snapshotKeys(redis, keys.prefix), keys)
    // A failed case must not spoil the next ones, nor the shrinking of its own counterexample.
    if (left.length > 0) baseline = await victimsOnly()
    if (failure !== null) throw failure
    if (left.length > 0) throw new Error(`after ${url}: ${left.join('; ')}`)
  }), { numRuns: 200, includeErrorInReport: true })

  t.ok(writes > 25, `${writes} cases wrote a state: the property does not only test refusals`)
  t.comment(`${cases} attacks, ${requests} requests, ${writes} of them writes of a state, ${Date.now() - started} ms`)
})

t.test('over real HTTP, path tricks the client library would normalize address nothing', async (t) => {
  const { app, redis, keys } = await build(t, QUIET)
  await inject(app, 'PUT', '/seller/state/victim', { 'content-type': 'application/json', 'idempotency-key': 'sms-1' }, documentText())
  const port = await listen(app)
  const baseline = await snapshotKeys(redis, keys.prefix)
  const segments = ['..', '.', '%2e%2e', '..%2F..%2Fstate%2Fvictim', '../victim', 'x/../victim', 'victim%00', 'victim%0A', 'victim%0D%0AX-Injected:%201',
    'victim%3Aa', 'state:victim', '%2Fvictim', 'victim%2F..', 'victim*', '*', 'victim%20', 'victim;x', 'victim%3B', '%5Bvictim%5D', '%7Bvictim%7D']
  const problems: string[] = []
  for (const segment of segments) {
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      const answer = await raw(port, { method, target: `/seller/state/${segment}`, headers: [['Content-Type', 'application/json'], ['Idempotency-Key', 'sms-1']], body: method === 'PUT' ? documentText() : method === 'PATCH' ? MERGE_PATCH : '' })
      const changed = keyChanges(baseline, await snapshotKeys(redis, keys.prefix), keys)
      if (answer.status !== 400 && answer.status !== 404) problems.push(`${method} ${segment}: ${answer.status}`)
      if (changed.length > 0) problems.push(`${method} ${segment}: ${changed.join('; ')}`)
    }
  }
  t.same(problems, [], `${segments.length * 3} requests refused, Redis unchanged`)
})
