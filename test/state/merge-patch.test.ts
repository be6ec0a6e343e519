/**
 * applyMergePatch: JSON Merge Patch (RFC 7396). Every example of the RFC's Appendix A, then the
 * properties PATCH relies on: the stored document read is never changed in place, arrays are
 * replaced whole, null removes at any depth, and numbers parsed losslessly keep their spelling.
 */
import t from 'tap'
import { parse, stringify } from 'lossless-json'
import { applyMergePatch } from '../../src/state/merge-patch.js'

// RFC 7396, Appendix A: [original, patch, result], in the order of the RFC.
const APPENDIX_A: Array<[string, string, string]> = [
  ['{"a":"b"}', '{"a":"c"}', '{"a":"c"}'],
  ['{"a":"b"}', '{"b":"c"}', '{"a":"b","b":"c"}'],
  ['{"a":"b"}', '{"a":null}', '{}'],
  ['{"a":"b","b":"c"}', '{"a":null}', '{"b":"c"}'],
  ['{"a":["b"]}', '{"a":"c"}', '{"a":"c"}'],
  ['{"a":"c"}', '{"a":["b"]}', '{"a":["b"]}'],
  ['{"a":{"b":"c"}}', '{"a":{"b":"d","c":null}}', '{"a":{"b":"d"}}'],
  ['{"a":[{"b":"c"}]}', '{"a":[1]}', '{"a":[1]}'],
  ['["a","b"]', '["c","d"]', '["c","d"]'],
  ['{"a":"b"}', '["c"]', '["c"]'],
  ['{"a":"foo"}', 'null', 'null'],
  ['{"a":"foo"}', '"bar"', '"bar"'],
  ['{"e":null}', '{"a":1}', '{"e":null,"a":1}'],
  ['[1,2]', '{"a":"b","c":null}', '{"a":"b"}'],
  ['{}', '{"a":{"bb":{"ccc":null}}}', '{"a":{"bb":{}}}']
]

t.test('every example of RFC 7396 Appendix A', async (t) => {
  t.equal(APPENDIX_A.length, 15)
  for (const [original, patch, result] of APPENDIX_A) {
    const target = JSON.parse(original)
    const merged = applyMergePatch(target, JSON.parse(patch))
    t.strictSame(merged, JSON.parse(result), `${original} + ${patch}`)
    t.strictSame(target, JSON.parse(original), `${original} + ${patch}: the target is left as it was`)
  }
})

t.test('the target is not mutated, at any depth', async (t) => {
  const target = {
    stage: 'Q2',
    seller_name: 'Ann',
    extracted_data: { roof: 'old', nested: { a: 1, b: 2 } },
    conversation_history: [{ role: 'user', content: 'hi' }]
  }
  const before = structuredClone(target)
  const merged = applyMergePatch(target, {
    stage: 'Q3',
    seller_name: null,
    extracted_data: { roof: null, nested: { a: 9, c: 3 } },
    conversation_history: []
  }) as Record<string, unknown>
  t.strictSame(target, before, 'the target still holds its old values')
  t.strictSame(merged, {
    stage: 'Q3',
    extracted_data: { nested: { a: 9, b: 2, c: 3 } },
    conversation_history: []
  })
  t.not(merged, target, 'a new object is returned')
  t.not(merged.extracted_data, target.extracted_data, 'a merged nested object is a new object too')
})

t.test('arrays are replaced, never merged element by element', async (t) => {
  const target = { conversation_history: [{ role: 'user', content: 'a' }, { role: 'bot', content: 'b' }], tags: [1, 2, 3] }
  t.strictSame(
    applyMergePatch(target, { conversation_history: [{ role: 'user', content: 'c' }] }),
    { conversation_history: [{ role: 'user', content: 'c' }], tags: [1, 2, 3] }
  )
  t.strictSame(applyMergePatch(target, { tags: [] }), { conversation_history: target.conversation_history, tags: [] })
  t.strictSame(applyMergePatch(target, { tags: { 0: 'x' } }), { conversation_history: target.conversation_history, tags: { 0: 'x' } },
    'an object patch over an array replaces it with the patch applied to {}')
  t.strictSame(applyMergePatch({ a: [1, 2] }, { a: [null] }), { a: [null] }, 'null inside an array is a value, not a removal')
})

t.test('a patch that is not an object replaces the whole target', async (t) => {
  const target = { stage: 'Q2', extracted_data: { roof: 'old' } }
  for (const patch of ['text', 42, true, false, null, [], [{ stage: 'Q3' }]]) {
    t.strictSame(applyMergePatch(target, patch), patch, JSON.stringify(patch))
  }
  t.strictSame(applyMergePatch(target, {}), target, 'an empty object changes nothing')
  t.strictSame(applyMergePatch('text', { a: 1 }), { a: 1 }, 'an object patch over a non-object starts from {}')
  t.strictSame(applyMergePatch(null, { a: null, b: 2 }), { b: 2 })
})

t.test('null removes nested members, and only them', async (t) => {
  const target = {
    extracted_data: { roof: 'old', price: { asked: 250000, floor: 200000 }, keep: true },
    seller_name: 'Ann'
  }
  t.strictSame(
    applyMergePatch(target, { extracted_data: { price: { floor: null } } }),
    { extracted_data: { roof: 'old', price: { asked: 250000 }, keep: true }, seller_name: 'Ann' }
  )
  t.strictSame(
    applyMergePatch(target, { extracted_data: { roof: null, price: null } }),
    { extracted_data: { keep: true }, seller_name: 'Ann' }
  )
  t.strictSame(
    applyMergePatch(target, { extracted_data: { missing: null } }),
    target,
    'removing a member that is not there changes nothing'
  )
  t.strictSame(
    applyMergePatch(target, { extracted_data: { new_member: { gone: null } } }),
    { ...target, extracted_data: { ...target.extracted_data, new_member: {} } },
    'nulls inside a new member are dropped, not stored'
  )
})

t.test('existing members keep their place; new ones come last', async (t) => {
  const merged = applyMergePatch({ a: 1, b: 2, c: 3 }, { b: 20, d: 4, a: null }) as Record<string, unknown>
  t.strictSame(Object.keys(merged), ['b', 'c', 'd'])
})

t.test('on losslessly parsed values, every number keeps its spelling', async (t) => {
  const target = parse('{"extracted_data":{"big":12345678901234567890,"float":1e+16,"price":2.50},"current_question":2}')
  const merged = applyMergePatch(target, parse('{"extracted_data":{"price":3.10},"current_question":3}'))
  t.equal(stringify(merged), '{"extracted_data":{"big":12345678901234567890,"float":1e+16,"price":3.10},"current_question":3}')
})
