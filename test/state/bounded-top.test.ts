/**
 * BoundedTop keeps the first items of a stream in order, never more than its limit.
 */
import t from 'tap'
import fc from 'fast-check'
import { BoundedTop } from '../../src/state/bounded-top.js'

t.test('the first `limit` items of any stream, in order', async (t) => {
  fc.assert(fc.property(fc.array(fc.integer({ min: -50, max: 50 })), fc.nat(30), (items, limit) => {
    const top = new BoundedTop<number>(limit, (a, b) => a - b)
    for (const item of items) top.add(item)
    const expected = [...items].sort((a, b) => a - b).slice(0, limit)
    t.strictSame(top.sorted(), expected)
  }), { numRuns: 300 })
})
