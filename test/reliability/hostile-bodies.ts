/**
 * Hostile bodies for PUT and PATCH, as fast-check arbitraries: arbitrary JSON, valid documents
 * with mutations (wrong types, unknown and prototype-polluting keys, number spellings, dates that
 * do not exist), byte-level damage (invalid UTF-8, truncation, BOM, UTF-16), deep nesting, and
 * strings, arrays and objects around the body limit (built from a recipe, which is what a failed
 * property prints instead of 256 KB of body).
 */
import fc from 'fast-check'
import { botState } from '../fixtures/bot-state.js'

/** The contacts every property starts from (seedDocuments); writes to them are undone after each case. */
export const SEED_IDS = ['seed-1', 'seed-2', 'seed-3'] as const

/**
 * The seeds as stored: different locations, stages and temperatures, for listings and counts, and
 * a number longer than a double for patches to keep.
 */
export function seedDocuments (): Map<string, string> {
  return new Map([
    ['seed-1', JSON.stringify(botState({ contact_id: 'seed-1', seller_name: 'Ann Lee', property_address: '12 Elm St' }))],
    ['seed-2', JSON.stringify(botState({ contact_id: 'seed-2', location_id: 'loc-2', stage: 'Q4', current_question: 4, questions_answered: 4, offer_accepted: true, timeline_acceptable: true, temperature: 'hot' }))],
    ['seed-3', JSON.stringify(botState({ contact_id: 'seed-3', stage: 'QUALIFIED', is_qualified: true, last_interaction: null, extracted_data: { price: 0 } }))
      .replace('"price":0', '"price":12345678901234567890')]
  ])
}

/** A seed, or a contact without state (written by a case, deleted after it). */
export const writableId = fc.oneof(
  fc.constantFrom(...SEED_IDS),
  fc.constantFrom('fresh-1', 'fresh_2', 'F'.repeat(128)),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/)
)

/** Members of a JSON object as text, so that a value may be spelled any way and names repeat. */
type Members = Array<[name: string, value: string]>

const membersOf = (doc: Record<string, unknown>): Members => Object.entries(doc).map(([name, value]) => [JSON.stringify(name), JSON.stringify(value)])
const objectText = (members: Members): string => `{${members.map(([name, value]) => `${name}:${value}`).join(',')}}`

/** The bot's document for this contact, with or without its contact_id. */
function documentMembers (id: string, withId: boolean): Members {
  const { contact_id: _id, ...rest } = botState({ motivation: 'selling to relocate' })
  return membersOf(withId ? { contact_id: id, ...rest } : rest)
}

const FIELDS = [...Object.keys(botState()), 'temperature', 'seller_name', 'property_address']

/** Values of every type and of every spelling that could slip through a type check. */
const ODD_VALUES = [
  '"3"', '3', '-1', '4.5', '5', 'true', 'false', 'null', '[]', '{}', '[1,"a"]', '{"a":{}}', '""', '"x"',
  '1e400', '-1e400', '-0', '0.0', '2.0', '1e5', '1E2', '9007199254740993', '12345678901234567890', '0.1e1', '-0.0',
  '"\\u0000"', '"\\ud800"', '"Q2"', '"QUALIFIED"', '"stalled"', '"hot"', '"HoT"', '"w\\u0041rm"', '"loc:1"', '"loc 1"',
  `"${'x'.repeat(129)}"`, '"2026-01-23T10:30:00.123456"', '"2026-01-23T10:30:00+00:00"', '[{"role":"user"}]', '[1]', '[null]'
]

/** Datetimes shaped like isoformat() whose parts may be out of range (30 February, hour 24). */
const datetime = fc.record({
  year: fc.integer({ min: 0, max: 10000 }),
  month: fc.integer({ min: 0, max: 13 }),
  day: fc.integer({ min: 0, max: 32 }),
  hour: fc.integer({ min: 0, max: 25 }),
  minute: fc.integer({ min: 0, max: 61 }),
  second: fc.option(fc.integer({ min: 0, max: 61 })),
  fraction: fc.option(fc.stringMatching(/^\d{1,7}$/)),
  offset: fc.option(fc.constantFrom('Z', '+00:00', '-05:30', '+24:00', '+14:00:30', '+05:30:00.5', '-99:99'))
}).map(({ year, month, day, hour, minute, second, fraction, offset }) => {
  const two = (n: number): string => String(n).padStart(2, '0')
  const time = `${two(hour)}:${two(minute)}${second === null ? '' : `:${two(second)}${fraction === null ? '' : `.${fraction}`}`}`
  return JSON.stringify(`${String(year).padStart(4, '0')}-${two(month)}-${two(day)}T${time}${offset ?? ''}`)
})

const DATES = ['"2026-02-30T10:00:00"', '"2025-02-29T00:00:00"', '"2024-02-29T00:00:00"', '"2026-04-31T12:00:00"', '"2026-01-01T24:00:00"', '"0000-01-01T00:00:00"', '"9999-12-31T23:59:59.999999+23:59"', '"2026-1-1T00:00:00"', '"2026-01-01 00:00:00"']

/** Keys that poison prototypes when a parser assigns them, and their escaped spellings. */
const POISON_NAMES = ['"__proto__"', '"constructor"', '"prototype"', '"\\u005f_proto__"', '"__proto\\u005f_"', '"toString"', '"hasOwnProperty"', '""', '" "', '"contact_id"', '"Stage"', '"ünïcödé"']
const POISON_VALUES = ['{"__proto__":{"polluted":true}}', '{"constructor":{"prototype":{"polluted":true}}}', '{"constructor":1}', '[{"__proto__":{}}]', '{"\\u005f_proto__":{"polluted":true}}', '{"prototype":{}}']

const jsonText = fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value))

const anyValue = fc.oneof(fc.constantFrom(...ODD_VALUES), fc.constantFrom(...DATES), datetime, fc.constantFrom(...POISON_VALUES), jsonText)

type Mutation =
  | { op: 'set', name: string, value: string }
  | { op: 'remove', name: string }
  | { op: 'add', name: string, value: string }

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('set' as const), name: fc.constantFrom(...FIELDS).map((name) => JSON.stringify(name)), value: anyValue }),
  fc.record({ op: fc.constant('set' as const), name: fc.constantFrom('"last_interaction"', '"conversation_started"'), value: fc.oneof(fc.constantFrom(...DATES), datetime) }),
  fc.record({ op: fc.constant('set' as const), name: fc.constantFrom('"extracted_data"', '"conversation_history"'), value: fc.constantFrom(...POISON_VALUES) }),
  fc.record({ op: fc.constant('remove' as const), name: fc.constantFrom(...FIELDS).map((name) => JSON.stringify(name)) }),
  fc.record({ op: fc.constant('add' as const), name: fc.oneof(fc.constantFrom(...POISON_NAMES), fc.string().map((name) => JSON.stringify(name))), value: anyValue })
)

function mutate (members: Members, change: Mutation): Members {
  switch (change.op) {
    case 'add': return [...members, [change.name, change.value]]
    case 'remove': return members.filter(([given]) => given !== change.name)
    case 'set': return members.some(([given]) => given === change.name)
      ? members.map(([given, old]) => [given, given === change.name ? change.value : old])
      : [...members, [change.name, change.value]]
  }
}

/** A write with a hostile body; `recipe` says how a large body was built, for the report. */
export interface BodyCase {
  method: 'PUT' | 'PATCH'
  id: string
  contentType: string
  body: Buffer
  recipe?: string
}

const contentTypeFor = (method: 'PUT' | 'PATCH'): fc.Arbitrary<string> => method === 'PUT'
  ? fc.constantFrom('application/json', 'application/json; charset=utf-8', 'Application/JSON')
  : fc.constantFrom('application/merge-patch+json', 'application/json', 'application/merge-patch+json; charset=utf-8')

const method = fc.constantFrom('PUT' as const, 'PATCH' as const)

/** A whole document for PUT, or a patch (a few members) for PATCH, with mutations applied. */
const mutatedText = (methodName: 'PUT' | 'PATCH', id: string): fc.Arbitrary<string> => fc.record({
  withId: fc.boolean(),
  patchFields: fc.subarray(FIELDS, { minLength: 0, maxLength: 3 }),
  mutations: fc.array(mutation, { minLength: 0, maxLength: 3 })
}).map(({ withId, patchFields, mutations }) => {
  const whole = documentMembers(id, withId)
  const start = methodName === 'PUT' ? whole : whole.filter(([name]) => patchFields.includes(JSON.parse(name) as string))
  return objectText(mutations.reduce((members, change) => mutate(members, change), start))
})

const bodyCase = (text: (methodName: 'PUT' | 'PATCH', id: string) => fc.Arbitrary<Buffer>): fc.Arbitrary<BodyCase> =>
  fc.tuple(method, writableId).chain(([methodName, id]) => fc.record({
    method: fc.constant(methodName),
    id: fc.constant(id),
    contentType: contentTypeFor(methodName),
    body: text(methodName, id)
  }))

/** Fully arbitrary JSON, and valid documents with unknown members of arbitrary JSON. */
export const arbitraryJsonBodies = bodyCase((methodName, id) => fc.oneof(
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc.json(),
  fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })).map((extra) => {
    const members = methodName === 'PUT' ? documentMembers(id, false) : []
    return objectText([...members, ...membersOf(extra)])
  })
).map((text) => Buffer.from(text)))

/** Valid documents and patches with fields of the wrong type, poisoned keys, odd numbers and dates. */
export const mutatedDocumentBodies = bodyCase((methodName, id) => mutatedText(methodName, id).map((text) => Buffer.from(text)))

const INVALID_UTF8 = [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xc3]]

type ByteDamage =
  | { op: 'invalid-utf8-in-string' | 'invalid-utf8-anywhere', bytes: number[], at: number }
  | { op: 'truncate', at: number }
  | { op: 'bom' | 'bom-inside' | 'utf16' | 'utf16-bom' | 'empty' | 'nul-inside' | 'whitespace' }
  | { op: 'trailing', text: string }

const byteDamage: fc.Arbitrary<ByteDamage> = fc.oneof(
  fc.record({ op: fc.constantFrom('invalid-utf8-in-string' as const, 'invalid-utf8-anywhere' as const), bytes: fc.constantFrom(...INVALID_UTF8), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ op: fc.constantFrom('bom' as const, 'bom-inside' as const, 'utf16' as const, 'utf16-bom' as const, 'empty' as const, 'nul-inside' as const, 'whitespace' as const) }),
  fc.record({ op: fc.constant('trailing' as const), text: fc.constantFrom('x', '}', ',', '\u0000', ' {}', '\r\n\r\nGET / HTTP/1.1\r\n\r\n') })
)

const BOM = Buffer.from([0xef, 0xbb, 0xbf])

function damage (text: string, hit: ByteDamage): Buffer {
  const bytes = Buffer.from(text)
  const split = (at: number): [Buffer, Buffer] => {
    const cut = Math.floor(at * bytes.length)
    return [bytes.subarray(0, cut), bytes.subarray(cut)]
  }
  switch (hit.op) {
    case 'invalid-utf8-in-string': {
      const start = bytes.indexOf('selling to relocate')
      const cut = start === -1 ? Math.floor(hit.at * bytes.length) : start + Math.floor(hit.at * 19)
      return Buffer.concat([bytes.subarray(0, cut), Buffer.from(hit.bytes), bytes.subarray(cut)])
    }
    case 'invalid-utf8-anywhere': {
      const [head, tail] = split(hit.at)
      return Buffer.concat([head, Buffer.from(hit.bytes), tail])
    }
    case 'truncate': return split(hit.at)[0]
    case 'bom': return Buffer.concat([BOM, bytes])
    case 'bom-inside': return Buffer.concat([bytes.subarray(0, 1), BOM, bytes.subarray(1)])
    case 'utf16': return Buffer.from(text, 'utf16le')
    case 'utf16-bom': return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])
    case 'empty': return Buffer.alloc(0)
    case 'nul-inside': return Buffer.concat([bytes.subarray(0, 1), Buffer.from([0]), bytes.subarray(1)])
    case 'whitespace': return Buffer.from(` \r\n\t${text}\n \t`)
    case 'trailing': return Buffer.concat([bytes, Buffer.from(hit.text)])
  }
}

/** Valid documents and patches with damaged bytes: invalid UTF-8, truncation, BOMs, UTF-16. */
export const damagedByteBodies = bodyCase((methodName, id) =>
  fc.tuple(mutatedText(methodName, id), byteDamage).map(([text, hit]) => damage(text, hit)))

type Oversize =
  | { kind: 'deep', depth: number, open: '[' | '{"a":', where: 'extracted_data' | 'history' | 'whole' }
  | { kind: 'long-string', totalBytes: number, char: string, field: string }
  | { kind: 'long-array', totalBytes: number, entry: string }
  | { kind: 'many-members', count: number }

/** Sizes at and around the body limit, well under it and well over it. */
const sizeAround = (limit: number): fc.Arbitrary<number> => fc.oneof(
  fc.integer({ min: limit - 300, max: limit + 300 }),
  fc.constantFrom(limit, limit + 1, limit - 1, 2 * limit, 4 * limit),
  fc.integer({ min: 1000, max: limit })
)

const oversize = (limit: number): fc.Arbitrary<Oversize> => fc.oneof(
  fc.record({ kind: fc.constant('deep' as const), depth: fc.oneof(fc.integer({ min: 1, max: 400 }), fc.constantFrom(62, 63, 64, 65, 66)), open: fc.constantFrom('[' as const, '{"a":' as const), where: fc.constantFrom('extracted_data' as const, 'history' as const, 'whole' as const) }),
  fc.record({ kind: fc.constant('long-string' as const), totalBytes: sizeAround(limit), char: fc.constantFrom('x', 'é', '€', '😀', '\\n', '\\u0000', '\\"'), field: fc.constantFrom('motivation', 'seller_name', 'lead_notes', 'contact_id') }),
  fc.record({ kind: fc.constant('long-array' as const), totalBytes: sizeAround(limit), entry: fc.constantFrom('{}', '{"role":"user","content":"ok"}') }),
  fc.record({ kind: fc.constant('many-members' as const), count: fc.integer({ min: 1, max: 30000 }) })
)

/** The member that makes the document `totalBytes` long, given its text without that member's bulk. */
function padded (members: Members, name: string, totalBytes: number, unit: string, wrap: (bulk: string) => string): string {
  const base = objectText([...members.filter(([given]) => given !== JSON.stringify(name)), [JSON.stringify(name), wrap('')]])
  const count = Math.max(0, Math.floor((totalBytes - Buffer.byteLength(base)) / Buffer.byteLength(unit)))
  return objectText([...members.filter(([given]) => given !== JSON.stringify(name)), [JSON.stringify(name), wrap(unit.repeat(count))]])
}

function oversizeText (methodName: 'PUT' | 'PATCH', id: string, recipe: Oversize): string {
  const members = methodName === 'PUT' ? documentMembers(id, false) : []
  switch (recipe.kind) {
    case 'deep': {
      const close = recipe.open === '[' ? ']' : '}'
      const nested = `${recipe.open.repeat(recipe.depth)}1${close.repeat(recipe.depth)}`
      if (recipe.where === 'whole') return nested
      const name = recipe.where === 'history' ? 'conversation_history' : 'extracted_data'
      const value = recipe.where === 'history' ? `[{"a":${nested}}]` : `{"a":${nested}}`
      return objectText(mutate(members, { op: 'set', name: JSON.stringify(name), value }))
    }
    case 'long-string': return padded(members, recipe.field, recipe.totalBytes, recipe.char, (bulk) => `"${bulk}"`)
    case 'long-array': return padded(members, 'conversation_history', recipe.totalBytes, `${recipe.entry},`, (bulk) => `[${bulk}${recipe.entry}]`)
    case 'many-members': return objectText([...members, ...Array.from({ length: recipe.count }, (_, i): [string, string] => [`"k${i}"`, String(i)])])
  }
}

/** Deep nesting, and strings, arrays and objects at, under and over the body limit. */
export const oversizeBodies = (limit: number): fc.Arbitrary<BodyCase> => fc.tuple(method, writableId).chain(([methodName, id]) => fc.record({
  method: fc.constant(methodName),
  id: fc.constant(id),
  contentType: contentTypeFor(methodName),
  recipe: oversize(limit)
}).map(({ recipe, ...rest }) => ({ ...rest, body: Buffer.from(oversizeText(methodName, id, recipe)), recipe: JSON.stringify(recipe) })))
