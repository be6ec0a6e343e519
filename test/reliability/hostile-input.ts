/**
 * The hostile-input properties (issue 6): fast-check drives the real service over real sockets
 * with arbitrary and damaged bodies, odd ids, headers, query strings and paths, and every answer
 * must be a JSON 4xx that changed nothing in Redis, or a correct 2xx (service-oracle.ts says what
 * correct means). Never a 5xx, a reset or silence.
 *
 * Shared by the fast run in `npm test` (hostile-input.test.ts) and the long one in the chaos suite
 * (test/chaos/hostile-input.chaos.ts); FC_SEED replays a reported run.
 */
import type { AddressInfo } from 'node:net'
import fc from 'fast-check'
import type { Test } from 'tap'
import { build } from '../helper.js'
import { arbitraryJsonBodies, damagedByteBodies, mutatedDocumentBodies, oversizeBodies, seedDocuments } from './hostile-bodies.js'
import { bodyRequest, headerExamples, hostileHeaders, hostileIds, hostilePaths, hostileQueries, idExamples } from './hostile-requests.js'
import { ServiceOracle, type HostileRequest } from './service-oracle.js'

/** A cursor the listing really gave, for the query property to send as is and damaged. */
async function realCursor (app: Awaited<ReturnType<typeof build>>['app']): Promise<string> {
  const page = (await app.inject({ url: '/seller/active?page_size=1' })).json()
  if (typeof page.next_cursor !== 'string') throw new Error(`the listing gave no cursor: ${JSON.stringify(page)}`)
  return page.next_cursor
}

export async function hostileInputProperties (t: Test, runsPerProperty: number): Promise<void> {
  // A request that never completes gets its 408 well within the oracle's wait for an answer.
  const ctx = await build(t, { SWEEP_INTERVAL_SECONDS: '0', REQUEST_TIMEOUT_MS: '1500' })
  await ctx.app.listen({ port: 0, host: '127.0.0.1' })
  const oracle = new ServiceOracle(ctx, (ctx.app.server.address() as AddressInfo).port, seedDocuments())
  t.teardown(() => oracle.close())
  await oracle.reset()
  const seed = process.env.FC_SEED === undefined ? {} : { seed: Number(process.env.FC_SEED) }

  const properties: Array<{ name: string, requests: fc.Arbitrary<HostileRequest>, examples?: HostileRequest[] }> = [
    { name: 'arbitrary JSON bodies', requests: arbitraryJsonBodies.map(bodyRequest) },
    { name: 'mutated documents', requests: mutatedDocumentBodies.map(bodyRequest) },
    { name: 'damaged bytes', requests: damagedByteBodies.map(bodyRequest) },
    { name: 'deep and oversize bodies', requests: oversizeBodies(ctx.config.bodyLimitBytes).map(bodyRequest) },
    { name: 'odd ids under every method', requests: hostileIds, examples: idExamples },
    { name: 'odd headers and framing', requests: hostileHeaders, examples: headerExamples },
    { name: 'odd query strings', requests: hostileQueries(await realCursor(ctx.app)) },
    { name: 'random paths', requests: hostilePaths }
  ]
  let total = 0
  for (const { name, requests, examples = [] } of properties) {
    await t.test(`hostile input: ${name}`, async (t) => {
      let cases = 0
      const answers = { '2xx': 0, '3xx': 0, '4xx': 0 }
      const property = fc.asyncProperty(requests, async (request) => {
        cases++
        try {
          const status = await oracle.check(request)
          answers[`${Math.floor(status / 100)}xx` as keyof typeof answers]++
        } finally {
          // The next case starts from the seeds, whatever a correct 2xx changed.
          await oracle.reset()
        }
      })
      const details = await fc.check(property, { numRuns: runsPerProperty, examples: examples.map((example) => [example]), ...seed })
      t.comment(`hostile input: ${name}: ${cases} cases (${Object.entries(answers).map(([kind, count]) => `${count} ${kind}`).join(', ')}; seed ${details.seed})`)
      total += cases
      if (details.failed) t.fail(`${fc.defaultReportMessage(details) ?? name}\n${String(details.errorInstance)}`)
      else t.pass(`${name}: every answer was a JSON 4xx that changed nothing, or a correct 2xx`)
      await t.resolves(oracle.assertAlive(), 'the service is still alive')
    })
  }
  t.comment(`hostile input: ${total} cases in all`)
}
