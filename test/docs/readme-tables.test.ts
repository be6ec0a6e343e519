/**
 * The README's reference tables cannot drift from the code: every error code the service or
 * Fastify can answer with is in the error table under its status, and nothing else is; every
 * metric of the registry is in the metrics table, and nothing else is.
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { errorCodes } from 'fastify'
import * as errors from '../../src/errors.js'
import { FRAMEWORK_CLIENT_ERROR_CODES } from '../../src/http/instructive-messages.js'
import { build } from '../helper.js'

const README = readFileSync('README.md', 'utf8')

/** The rows of the first table after a heading. */
function tableAfter (heading: string): string[][] {
  const section = README.slice(README.indexOf(`\n${heading}\n`))
  const lines = section.split('\n').slice(1)
  const start = lines.findIndex((line) => line.startsWith('|'))
  const end = lines.findIndex((line, i) => i > start && !line.startsWith('|'))
  return lines.slice(start + 2, end).map((line) => line.split(/(?<!\\)\|/).slice(1, -1).map((cell) => cell.trim()))
}

const codesIn = (cell: string): string[] => [...cell.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((match) => match[1] as string)

t.test('the error table lists every code a client can get, under its status', async (t) => {
  const documented = new Map<string, number>()
  for (const [status, , codes] of tableAfter('## Errors')) {
    for (const code of codesIn(codes ?? '')) documented.set(code, Number(status))
  }
  const actual = new Map<string, number>()
  for (const constructor of Object.values(errors)) {
    if (typeof constructor !== 'function') continue
    const error = new (constructor as new (...args: unknown[]) => { code: string, statusCode: number })('x', 'y')
    actual.set(error.code, error.statusCode)
  }
  for (const code of FRAMEWORK_CLIENT_ERROR_CODES) {
    actual.set(code, new (errorCodes as unknown as Record<string, new () => { statusCode: number }>)[code]!().statusCode)
  }
  t.same(Object.fromEntries([...documented].sort()), Object.fromEntries([...actual].sort()), 'README error table = src/errors.ts + Fastify\'s client errors')
})

t.test('the metrics table lists every metric of the service', async (t) => {
  const { app } = await build(t)
  const documented = tableAfter('## Metrics').flatMap(([metric]) => [...(metric ?? '').matchAll(/`([a-z_]+)(?:\{[a-z_, ]*\})?`/g)].map((match) => match[1] as string))
  // prom-client's defaults (process_*, nodejs_*) are one row of the table.
  const registered = (await app.metrics.registry.getMetricsAsJSON()).map(({ name }) => name).filter((name) => !/^(process|nodejs)_/.test(name))
  t.same([...documented].sort(), [...registered].sort())
  t.ok(README.includes('`process_*`, `nodejs_*`'), 'the defaults are named')
})
