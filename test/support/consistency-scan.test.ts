/**
 * The self-test of consistency-scan.ts, on a real cluster with two buckets: states written by the
 * service's write script pass, and each kind of disagreement is named.
 */
import t from 'tap'
import { createKeySpace } from '../../src/redis/keys.js'
import { defineScripts, writeState } from '../../src/redis/scripts.js'
import type { RedisClient } from '../../src/redis/client.js'
import { indexEntryOf, metaValue } from '../../src/state/index-entry.js'
import type { StateDocument } from '../../schemas/state-document.js'
import { botState } from '../fixtures/bot-state.js'
import { scanConsistency } from './consistency-scan.js'
import { startRedisCluster } from './redis-cluster.js'

const PREFIX = 'check:'
const keys = createKeySpace(PREFIX, 2)

async function write (redis: RedisClient, id: string, locationId: string): Promise<void> {
  const doc = botState({ contact_id: id, location_id: locationId }) as unknown as StateDocument
  const entry = indexEntryOf(doc)
  const bucket = keys.of(id)
  const reply = await writeState(redis, {
    bucket,
    contactId: id,
    recordKey: bucket.idempotency(id, ''),
    place: bucket.place(metaValue(entry)),
    was: null,
    deadlineMs: Date.now() + 60_000,
    document: JSON.stringify(doc),
    etag: `etag-${id}`,
    ttlMs: 60_000,
    envelopeVersion: '2',
    lastActivityMs: entry.lastInteractionMs,
    startedMs: entry.conversationStartedMs,
    rowSource: '{}',
    request: { requirePrecondition: false, fingerprint: '', recordTtlMs: 1000, ifNoneMatchAny: false, ifMatch: null }
  })
  if (reply[0] !== 'created') throw new Error(`write of ${id}: ${reply.join(' ')}`)
}

t.test('states with exactly their index entries pass; each disagreement is named', async (t) => {
  const cluster = await startRedisCluster()
  t.teardown(() => cluster.stop())
  const client = cluster.client()
  t.teardown(() => client.disconnect())
  defineScripts(client)
  const ids = ['contact-1', 'contact-2', 'contact-3', 'contact-4', 'contact-5', 'contact-6']
  for (const id of ids) await write(client, id, 'loc-1')
  t.equal(new Set(ids.map((id) => keys.bucketOf(id))).size, 2, 'the contacts fall in both buckets')
  const owners = new Set([await cluster.ownerOf(keys.bucket(0).activeIndex), await cluster.ownerOf(keys.bucket(1).activeIndex)])
  t.equal(owners.size, 2, 'the two buckets sit on two masters')
  t.same(await scanConsistency(client, PREFIX, 2), { states: 6, problems: [] })

  const [first, second] = ids.filter((id) => keys.bucketOf(id) === 0) as [string, string]
  const other = ids.find((id) => keys.bucketOf(id) === 1) as string
  const b0 = keys.bucket(0)
  const place = keys.of(other).place(await client.hget(keys.of(other).indexMeta, other) as string)
  await client.zrem(b0.startedIndex, first)
  await client.hset(b0.indexMeta, second, 'Q4:HOT:q|loc-1')
  await client.zadd(keys.of(other).locationActivity('loc-7', 'Q1:COLD:u'), 1, other)
  await client.zadd(b0.activeIndex, 1, 'ghost-8')
  // A state under the other bucket's names: what a move with a wrong bucket count would leave.
  const stray = ids.find((id) => keys.bucketOf(id) === 1) as string
  await client.hset(b0.state(stray), await client.hgetall(keys.of(stray).state(stray)))
  const { states, problems } = await scanConsistency(client, PREFIX, 2)
  t.equal(states, 7)
  for (const expected of [
    `${first}: started score undefined`,
    `${second}: index meta is Q4:HOT:q|loc-1`,
    `${other}: listed in ${keys.of(other).locationActivity('loc-7', 'Q1:COLD:u')}`,
    `ghost-8: in ${b0.activeIndex} without a state`,
    `${stray}: state in bucket 0, its id says bucket 1`
  ]) t.ok(problems.some((problem) => problem.startsWith(expected)), expected)
  t.ok(place.activity.startsWith(PREFIX + '{'), 'the cluster names carry the bucket tag')
})
