/** The connection the service works through: one Redis, or a Redis Cluster (config.ts). */
import type { Cluster, Redis } from 'ioredis'

export type RedisClient = Redis | Cluster

export const isCluster = (redis: RedisClient): redis is Cluster => redis.isCluster

/** The masters that hold the data: every master of a cluster, or the one Redis. */
export function masters (redis: RedisClient): Redis[] {
  return isCluster(redis) ? redis.nodes('master') : [redis]
}
