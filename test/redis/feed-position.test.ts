/**
 * The feed's order and ids: a position reads each bucket from where its entry sits in the order,
 * and each mode accepts its own ids only.
 */
import t from 'tap'
import { compareIds, feedIds, rangeEnd, rangeStart } from '../../src/redis/feed-position.js'

t.test('each bucket is read after a position: after its id up to its own bucket, at it past it', async (t) => {
  const position = { streamId: '1700-3', bucket: 1 }
  t.same([0, 1, 2].map((bucket) => rangeStart(position, bucket)), ['(1700-3', '(1700-3', '1700-3'])
  t.same([0, 1, 2].map((bucket) => rangeEnd(position, bucket)), ['1700-3', '1700-3', '(1700-3'])
  t.equal(rangeEnd({ streamId: '0-0', bucket: 0 }, 1), null, 'nothing comes before the origin in a later bucket')
})

t.test('ids order by their numbers in turn, not as text', async (t) => {
  t.same(['10-0-1', '9-5-0', '10-0-0', '9-10-2'].sort(compareIds), ['9-5-0', '9-10-2', '10-0-0', '10-0-1'])
  t.ok(compareIds('0-0', '0-0-0') < 0, 'the origin before every cluster id')
})

t.test('a single node takes stream ids; a cluster, stream id and bucket', async (t) => {
  const single = feedIds(false, 1)
  t.equal(single.format({ streamId: '1700-3', bucket: 0 }), '1700-3')
  t.same(single.parse('1700-3'), { streamId: '1700-3', bucket: 0 })
  const cluster = feedIds(true, 12)
  t.equal(cluster.format({ streamId: '1700-3', bucket: 11 }), '1700-3-11')
  t.same(cluster.parse('1700-3-11'), { streamId: '1700-3', bucket: 11 })
  for (const id of ['1700-3-0', 'x', '1700', '18446744073709551616-0']) t.equal(single.parse(id), null, `single node: ${id}`)
  for (const id of ['1700-3', '1700-3-12', '1700-3-01', '1700-18446744073709551616-0', '']) t.equal(cluster.parse(id), null, `cluster: ${id}`)
})
