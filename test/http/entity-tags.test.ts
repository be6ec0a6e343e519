/**
 * Entity tags and the conditional headers built on them (RFC 9110 §8.8.3, §13.1.1, §13.1.2).
 */
import t, { type Test } from 'tap'
import { formatEntityTag, matchesIfNoneMatch, MAX_ENTITY_TAGS, parseWritePreconditions } from '../../src/http/entity-tags.js'

interface HeaderError { statusCode: number, code: string, message: string }

/** Runs `fn`, which must throw the service's 400 INVALID_HEADER naming `header`. */
function invalidHeader (t: Test, fn: () => unknown, header: string, label: string): void {
  let error: HeaderError | undefined
  try {
    fn()
  } catch (err) {
    error = err as HeaderError
  }
  t.ok(error, `${label}: throws`)
  t.equal(error?.statusCode, 400, `${label}: status 400`)
  t.equal(error?.code, 'INVALID_HEADER', `${label}: code INVALID_HEADER`)
  t.match(error?.message, header, `${label}: the message names ${header}`)
}

t.test('formatEntityTag quotes the opaque tag', async (t) => {
  t.equal(formatEntityTag('abc123-_'), '"abc123-_"')
  t.equal(formatEntityTag(''), '""')
})

t.test('a formatted tag is understood by both conditional headers', async (t) => {
  const tag = 'Xy9_-0aB'
  t.strictSame(parseWritePreconditions(formatEntityTag(tag), undefined).ifMatch, [tag])
  t.equal(matchesIfNoneMatch(formatEntityTag(tag), tag), true)
})

t.test('writes without conditional headers are unconditional', async (t) => {
  t.strictSame(parseWritePreconditions(undefined, undefined), { ifMatch: null, ifNoneMatchAny: false })
})

t.test('If-Match: *, one tag or a list', async (t) => {
  t.strictSame(parseWritePreconditions('*', undefined), { ifMatch: '*', ifNoneMatchAny: false })
  t.strictSame(parseWritePreconditions('  *  ', undefined).ifMatch, '*')
  t.strictSame(parseWritePreconditions('"abc"', undefined).ifMatch, ['abc'])
  t.strictSame(parseWritePreconditions('"a","b"', undefined).ifMatch, ['a', 'b'])
  t.strictSame(parseWritePreconditions(' "a" ,  "b",\t"c" ', undefined).ifMatch, ['a', 'b', 'c'], 'spaces around commas')
  t.strictSame(parseWritePreconditions('""', undefined).ifMatch, [''], 'an empty opaque tag')
  t.strictSame(parseWritePreconditions('"!#$%&\'()*+-./:;<=>?@[\\]^_`{|}~"', undefined).ifMatch, ['!#$%&\'()*+-./:;<=>?@[\\]^_`{|}~'], 'every etagc character')
  t.strictSame(parseWritePreconditions('"a",', undefined).ifMatch, ['a'], 'a trailing empty element is ignored')
  t.strictSame(parseWritePreconditions(', "a", , "b"', undefined).ifMatch, ['a', 'b'], 'leading and middle empty elements too (RFC 9110 5.6.1)')
})

t.test('If-Match ignores weak tags: the strong comparison never matches them', async (t) => {
  t.strictSame(parseWritePreconditions('W/"abc"', undefined).ifMatch, [], 'a weak tag alone: nothing can match')
  t.strictSame(parseWritePreconditions('"a", W/"b", "c"', undefined).ifMatch, ['a', 'c'])
  t.strictSame(parseWritePreconditions('W/"a", W/"b"', undefined).ifMatch, [])
})

t.test('If-None-Match on a write must be *', async (t) => {
  t.strictSame(parseWritePreconditions(undefined, '*'), { ifMatch: null, ifNoneMatchAny: true })
  t.strictSame(parseWritePreconditions(undefined, ' * '), { ifMatch: null, ifNoneMatchAny: true })
  t.strictSame(parseWritePreconditions('"a"', '*'), { ifMatch: ['a'], ifNoneMatchAny: true }, 'both headers together')
  invalidHeader(t, () => parseWritePreconditions(undefined, '"abc"'), 'If-None-Match', 'a tag')
  invalidHeader(t, () => parseWritePreconditions(undefined, 'W/"abc"'), 'If-None-Match', 'a weak tag')
  invalidHeader(t, () => parseWritePreconditions(undefined, '*, "a"'), 'If-None-Match', '* in a list')
  invalidHeader(t, () => parseWritePreconditions(undefined, ''), 'If-None-Match', 'empty')
  invalidHeader(t, () => parseWritePreconditions('"a"', 'nope'), 'If-None-Match', 'garbage, with a valid If-Match')
})

t.test('a malformed If-Match is a 400 INVALID_HEADER', async (t) => {
  const malformed: Array<[string, string]> = [
    ['abc', 'an unquoted tag'],
    ['"abc', 'an unclosed quote'],
    ['abc"', 'no opening quote'],
    ['"a b"', 'a space inside the tag'],
    ['"a"b', 'text after the tag'],
    ['"a" "b"', 'a missing comma'],
    ['w/"a"', 'a lower-case weak prefix'],
    ['W/ "a"', 'a space after W/'],
    ['*, "a"', '* in a list'],
    ['**', 'two stars'],
    ['', 'empty'],
    ['   ', 'only spaces'],
    ['"caf\u00e9"', 'a non-ASCII character']
  ]
  for (const [header, label] of malformed) {
    invalidHeader(t, () => parseWritePreconditions(header, undefined), 'If-Match', label)
  }
})

t.test('GET If-None-Match: weak comparison against the current tag', async (t) => {
  t.equal(matchesIfNoneMatch(undefined, 'abc'), false, 'no header: no 304')
  t.equal(matchesIfNoneMatch('"abc"', 'abc'), true)
  t.equal(matchesIfNoneMatch('W/"abc"', 'abc'), true, 'a weak tag matches')
  t.equal(matchesIfNoneMatch('"abd"', 'abc'), false)
  t.equal(matchesIfNoneMatch('"ABC"', 'abc'), false, 'tags are case-sensitive')
  t.equal(matchesIfNoneMatch('"ab"', 'abc'), false, 'no prefix match')
  t.equal(matchesIfNoneMatch('"x", "y", W/"abc"', 'abc'), true, 'any tag of a list')
  t.equal(matchesIfNoneMatch('"x", "y"', 'abc'), false)
  t.equal(matchesIfNoneMatch('*', 'abc'), true, '* matches any current state')
  t.equal(matchesIfNoneMatch(' * ', 'abc'), true)
  invalidHeader(t, () => matchesIfNoneMatch('abc', 'abc'), 'If-None-Match', 'an unquoted tag')
  invalidHeader(t, () => matchesIfNoneMatch('', 'abc'), 'If-None-Match', 'empty')
  invalidHeader(t, () => matchesIfNoneMatch('"a" "b"', 'abc'), 'If-None-Match', 'a missing comma')
})

t.test('a list of more than MAX_ENTITY_TAGS tags is a 400 naming the header and the cap', async (t) => {
  const list = (n: number): string => Array.from({ length: n }, (_, i) => `"t${i}"`).join(', ')
  t.equal((parseWritePreconditions(list(MAX_ENTITY_TAGS), undefined).ifMatch as string[]).length, MAX_ENTITY_TAGS, 'the cap itself is accepted')
  t.equal(matchesIfNoneMatch(list(MAX_ENTITY_TAGS), `t${MAX_ENTITY_TAGS - 1}`), true)
  invalidHeader(t, () => parseWritePreconditions(list(MAX_ENTITY_TAGS + 1), undefined), 'If-Match', 'one tag too many')
  invalidHeader(t, () => matchesIfNoneMatch(Array.from({ length: 5000 }, () => '""').join(','), 'abc'), `more than ${MAX_ENTITY_TAGS}`, '5,000 empty tags (issue 11)')
  t.equal(matchesIfNoneMatch(`${', '.repeat(5000)}"abc"`, 'abc'), true, 'empty elements do not count against the cap')
})
