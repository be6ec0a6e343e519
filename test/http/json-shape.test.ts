/**
 * scanJson: nesting depth and the spelling of top-level numbers, strings skipped whatever they hold.
 */
import t from 'tap'
import { scanJson } from '../../src/http/json-shape.js'

t.test('depth', async (t) => {
  t.equal(scanJson('1').depth, 0)
  t.equal(scanJson('{}').depth, 1)
  t.equal(scanJson('{"a": [1, {"b": [[]]}]}').depth, 5)
  t.equal(scanJson('{"a": "[[[[{{{{", "b": "\\\\"}').depth, 1, 'brackets inside strings do not count')
  t.equal(scanJson(`{"x": ${'['.repeat(70)}${']'.repeat(70)}}`).depth, 71)
})

t.test('top-level numbers keep their spelling; nested and string ones are not top-level', async (t) => {
  const { topLevelNumbers } = scanJson('{"a": 1, "b": 2.0, "c": -1e5, "d": {"e": 3}, "f": [4], "g": "5", "h": 12345678901234567890}')
  t.same(Object.fromEntries(topLevelNumbers), { a: '1', b: '2.0', c: '-1e5', h: '12345678901234567890' })
})

t.test('escaped quotes and backslashes inside strings, names included', async (t) => {
  const text = '{"say \\"hi\\"": 1, "path": "C:\\\\dir\\\\", "n": 2, "q": "\\\\\\"", "m": 3}'
  t.same(JSON.parse(text), { 'say "hi"': 1, path: 'C:\\dir\\', n: 2, q: '\\"', m: 3 }, 'the fixture is valid JSON')
  t.same(Object.fromEntries(scanJson(text).topLevelNumbers), { 'say "hi"': '1', n: '2', m: '3' })
})

t.test('an array at the top has no named numbers', async (t) => {
  t.same(scanJson('[1, 2, {"a": 3}]'), { depth: 2, topLevelNumbers: new Map(), duplicateMember: null })
})

t.test('member names are compared once unescaped (issue 11)', async (t) => {
  t.same(Object.fromEntries(scanJson('{"current\\u005fquestion": 2.0, "\\u0061": 1}').topLevelNumbers), { current_question: '2.0', a: '1' })
})

t.test('the first member name an object repeats, with its path', async (t) => {
  t.same(scanJson('{"a": 1, "b": 2}').duplicateMember, null)
  t.same(scanJson('{"a": {"x": 1}, "b": {"x": 2}}').duplicateMember, null, 'the same name in two objects is fine')
  t.same(scanJson('{"contact_id": "x", "b": 1, "contact_id": "y"}').duplicateMember, ['contact_id'])
  t.same(scanJson('{"a": 1, "\\u0061": 2}').duplicateMember, ['a'], 'an escaped spelling is the same name')
  t.same(scanJson('{"h": [{"r": 1}, {"r": 1, "r": 2}]}').duplicateMember, ['h', '1', 'r'], 'in an array element')
  t.same(scanJson('{"e": {"k": {"z": 1, "z": 2}}, "a": 1, "a": 2}').duplicateMember, ['e', 'k', 'z'], 'the first one found')
  t.same(scanJson('{"s": "\\"a\\": 1, \\"a\\": 2"}').duplicateMember, null, 'names inside strings are not members')
})
