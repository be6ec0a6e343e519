/** The connection the service works through: one Redis, or a Redis Cluster (config.ts). */
import type { Cluster, Redis } from 'ioredis'

export type RedisClient = Redis | Cluster

export const isCluster = (redis: RedisClient): redis is Cluster => redis.isCluster

/**
 * The masters that hold the data: the one Redis, or every master of a cluster as the cluster
 * says now (after a reshard a master may hold no slot, or have become a replica).
 */
export async function masters (redis: RedisClient): Promise<Redis[]> {
  if (!isCluster(redis)) return [redis]
  await refreshSlots(redis)
  return redis.nodes('master')
}

/** Asks the cluster which master owns which slot now. A refresh that fails leaves the last map, still the best guess. */
export async function refreshSlots (redis: Cluster): Promise<void> {
  await new Promise<void>((resolve) => { redis.refreshSlotsCache(() => resolve()) })
}
