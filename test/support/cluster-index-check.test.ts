/**
 * The self-test of cluster-index-check.ts, on a real cluster: states written with all their index
 * entries pass, and each kind of disagreement is reported. The key space here is a fixture of the
 * shape the service's takes in cluster mode (`<prefix>{<tag>}:<rest>`), with two buckets.
 */
import t from 'tap'
import type { Cluster } from 'ioredis'
import { slotName, type IndexSlot } from '../../src/redis/keys.js'
import { indexEntryOf, metaValue } from '../../src/state/index-entry.js'
import type { StateDocument } from '../../schemas/state-document.js'
import { botState } from '../fixtures/bot-state.js'
import { checkClusterIndexes, type BucketedKeySpace, type BucketKeys } from './cluster-index-check.js'
import { startRedisCluster } from './redis-cluster.js'

const PREFIX = 'check:'

function fixtureBucket (tag: string): BucketKeys {
  const base = `${PREFIX}{${tag}}:`
  return {
    statePrefix: `${base}state:`,
    state: (id) => `${base}state:${id}`,
    activeIndex: `${base}active_contacts`,
    startedIndex: `${base}started`,
    indexMeta: `${base}index_meta`,
    activity: (slot: IndexSlot) => `${base}activity:${slotName(slot)}`,
    locationActivity: (location: string, slot: IndexSlot) => `${base}location:${location}:${slotName(slot)}`
  }
}

// Contact ids end in a number; its parity is the bucket.
const keys: BucketedKeySpace = {
  buckets: 2,
  bucketOf: (id) => Number(/\d+$/.exec(id)?.[0]) % 2,
  bucket: (index) => fixtureBucket(`b${index}`)
}

/** A state and every index entry it needs, as a write script leaves them. */
async function writeState (cluster: Cluster, id: string, bucket = keys.bucket(keys.bucketOf(id))): Promise<void> {
  const doc = botState({ contact_id: id, location_id: `loc-${id.length % 2}` }) as unknown as StateDocument
  const entry = indexEntryOf(doc)
  await cluster.hset(bucket.state(id), 'doc', JSON.stringify(doc))
  await cluster.zadd(bucket.activeIndex, Date.now() + 60_000, id)
  await cluster.zadd(bucket.startedIndex, entry.conversationStartedMs, id)
  await cluster.hset(bucket.indexMeta, id, metaValue(entry))
  await cluster.zadd(bucket.activity(entry.slot), 1, id)
  await cluster.zadd(bucket.locationActivity(entry.locationId, entry.slot), 1, id)
}

t.test('states with exactly their index entries pass; each disagreement is named', async (t) => {
  const cluster = await startRedisCluster()
  t.teardown(() => cluster.stop())
  const client = cluster.client()
  t.teardown(() => client.disconnect())
  const ids = ['contact-1', 'contact-2', 'contact-3', 'contact-4']
  for (const id of ids) await writeState(client, id)
  const owners = new Set([await cluster.ownerOf(keys.bucket(0).activeIndex), await cluster.ownerOf(keys.bucket(1).activeIndex)])
  t.equal(owners.size, 2, 'the two buckets sit on two masters')
  t.same(await checkClusterIndexes(client, keys, ['loc-0', 'loc-1']), { states: 4, problems: [] })

  const [b0, b1] = [keys.bucket(0), keys.bucket(1)]
  const entry = indexEntryOf(botState({ location_id: 'loc-1' }) as unknown as StateDocument)
  await client.zrem(b1.startedIndex, 'contact-1')
  await client.hset(b0.indexMeta, 'contact-2', 'Q4:HOT:q|loc-1')
  await client.zadd(b1.locationActivity('loc-7', entry.slot), 1, 'contact-3')
  await client.zadd(b0.activeIndex, 1, 'ghost-8')
  await writeState(client, 'contact-5', b0)
  const { states, problems } = await checkClusterIndexes(client, keys, ['loc-0', 'loc-1', 'loc-7'])
  t.equal(states, 5)
  for (const expected of [
    `contact-1: missing from ${b1.startedIndex}`,
    `contact-2: ${b0.indexMeta} says Q4:HOT:q|loc-1`,
    `contact-3: listed in ${b1.locationActivity('loc-7', entry.slot)}`,
    `ghost-8: in ${b0.activeIndex} without a state`,
    'contact-5: state in bucket 0, its id says bucket 1'
  ]) t.ok(problems.some((problem) => problem.startsWith(expected)), expected)
  t.equal(problems.length, 5, problems.join('\n'))
})
