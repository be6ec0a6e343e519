/**
 * A budget of requests per client address within a window, in this replica's memory
 * (@fastify/rate-limit's local store, an LRU of 5,000 addresses): for what comes without a valid
 * token (failed authentications, the documentation), so that a flood of it costs no Redis
 * command. A private registration of the library, in a context of its own, leaves the shared
 * per-token limit of rate-limiting.ts untouched.
 */
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'

export interface AddressBudget {
  /** Counts the request; whether its address is past the budget, and for how long still. */
  spend: (request: FastifyRequest) => Promise<{ exceeded: boolean, retryAfterSeconds: number }>
}

export async function addressBudget (app: FastifyInstance, max: number, timeWindow: string): Promise<AddressBudget> {
  let check: ReturnType<FastifyInstance['createRateLimit']> | undefined
  await app.register(async (scope) => {
    await scope.register(rateLimit, { global: false, max, timeWindow, keyGenerator: (request) => request.ip })
    check = scope.createRateLimit()
  })
  const limiter = check as NonNullable<typeof check>
  return {
    async spend (request) {
      const limit = await limiter(request)
      if (limit.isAllowed) return { exceeded: false, retryAfterSeconds: 0 }
      return { exceeded: limit.isExceeded, retryAfterSeconds: limit.ttlInSeconds }
    }
  }
}
