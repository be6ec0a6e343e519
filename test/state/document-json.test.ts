/**
 * withContactId: the path's contact id added to a document's JSON text, every byte the client
 * sent left in place.
 */
import t from 'tap'
import { withContactId } from '../../src/state/document-json.js'

t.test('adds contact_id as the first member and keeps the rest byte for byte', async (t) => {
  const text = '{"location_id": "loc-1", "last_interaction": "2026-01-23T10:30:00.123456", "score": 1.0, "big": 1e+16}'
  const result = withContactId(text, 'c-1')
  t.equal(result, '{"contact_id":"c-1","location_id": "loc-1", "last_interaction": "2026-01-23T10:30:00.123456", "score": 1.0, "big": 1e+16}')
  t.equal(result.slice(result.indexOf('"location_id"')), text.slice(1), 'the client\'s text follows unchanged')
  t.strictSame(JSON.parse(result), { contact_id: 'c-1', ...JSON.parse(text) })
  t.strictSame(Object.keys(JSON.parse(result)), ['contact_id', 'location_id', 'last_interaction', 'score', 'big'])
})

t.test('keeps whitespace before the object and inside it', async (t) => {
  const text = ' \n{\n  "location_id": "loc-1"\n}\n'
  const result = withContactId(text, 'abc_DEF-9')
  t.equal(result, ' \n{"contact_id":"abc_DEF-9",\n  "location_id": "loc-1"\n}\n')
  t.strictSame(JSON.parse(result), { contact_id: 'abc_DEF-9', location_id: 'loc-1' })
})

t.test('only the opening brace of the document is touched, not braces inside values', async (t) => {
  const text = '{"extracted_data": {"a": "{"}, "conversation_history": [{"content": "{x}"}]}'
  const result = withContactId(text, 'c-1')
  t.strictSame(JSON.parse(result), { contact_id: 'c-1', extracted_data: { a: '{' }, conversation_history: [{ content: '{x}' }] })
})

t.test('the contact id is written as a JSON string', async (t) => {
  for (const id of ['c-1', 'ABC_def-0123456789', 'x'.repeat(128)]) {
    t.equal(JSON.parse(withContactId('{"a":1}', id)).contact_id, id)
  }
})

t.test('withContactId of an object without members is still JSON', async (t) => {
  for (const text of ['{}', '{ }', '{\n}']) {
    const result = withContactId(text, 'c-1')
    let parsed: unknown
    try {
      parsed = JSON.parse(result)
    } catch (err) {
      parsed = `not JSON (${(err as Error).message}): ${result}`
    }
    t.strictSame(parsed, { contact_id: 'c-1' }, JSON.stringify(text))
  }
})
