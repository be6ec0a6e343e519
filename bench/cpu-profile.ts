/**
 * Reads a V8 CPU profile (`node --cpu-prof`) into two tables of shares of the busy time:
 *   - by function: where the CPU was (self time);
 *   - by step: each sample charged to the innermost frame on its stack that is the service's own
 *     code (a hook, a route handler, a parser) or one of the I/O BOUNDARIES, else to the library or
 *     Node module it ran in. So a hook's cost includes the library calls it makes (prom-client
 *     under the metrics hook), but not the rest of the request that its `done()` runs on.
 * Only the samples of the last `windowMs` count: the load, not the start-up.
 */
import { readFile } from 'node:fs/promises'

interface CallFrame { functionName: string, url: string, lineNumber: number }
interface ProfileNode { id: number, callFrame: CallFrame, children?: number[] }
interface Profile { nodes: ProfileNode[], samples: number[], timeDeltas: number[] }

export interface Share { name: string, percent: number }

export interface ProfileSummary {
  /** Busy samples (idle excluded) and their total time, ms. */
  busyMs: number
  idlePercent: number
  byFunction: Share[]
  byStep: Share[]
}

// The service's own compiled code, and how far a path is cut to name it.
const OWN_CODE = /\/dist\/((?:src|routes|schemas)\/.*)$/
const PACKAGE = /node_modules\/((?:@[^/]+\/)?[^/]+)\//

/**
 * Frames that start a step of their own wherever they are called from: writing the response
 * (reached from the last onSend hook's `done()`) and sending a Redis command.
 */
const BOUNDARIES: Array<{ url: RegExp, functionName: string, step: string }> = [
  { url: /node_modules\/fastify\/lib\/reply\.js$/, functionName: 'onSendEnd', step: 'fastify: write the response (onSendEnd)' },
  { url: /node_modules\/ioredis\/built\/Redis\.js$/, functionName: 'sendCommand', step: 'ioredis: send a command (sendCommand)' }
]

function fileOf (url: string): string {
  const own = OWN_CODE.exec(url)
  if (own !== null) return own[1] as string
  const pkg = PACKAGE.exec(url)
  if (pkg !== null) return pkg[1] as string
  return url.replace(/^file:\/\/.*\//, '')
}

/** `name file:line` of a frame; V8's own entries ("(garbage collector)") as they are. */
function frameName ({ functionName, url, lineNumber }: CallFrame): string {
  if (url === '') return functionName === '' ? '(anonymous)' : functionName
  return `${functionName === '' ? '(anonymous)' : functionName} ${fileOf(url)}:${lineNumber + 1}`
}

/** What a sample is charged to by step: the innermost own or boundary frame, else where its leaf ran. */
function stepName (stack: CallFrame[]): string {
  for (const frame of stack) {
    if (OWN_CODE.test(frame.url)) return frameName(frame)
    const boundary = BOUNDARIES.find(({ url, functionName }) => frame.functionName === functionName && url.test(frame.url))
    if (boundary !== undefined) return boundary.step
  }
  const leaf = stack[0] as CallFrame
  return leaf.url === '' ? frameName(leaf) : fileOf(leaf.url)
}

function top (totals: Map<string, number>, busy: number, count: number): Share[] {
  return [...totals].sort((a, b) => b[1] - a[1]).slice(0, count).map(([name, time]) => ({ name, percent: (100 * time) / busy }))
}

export function summarizeProfile (profile: Profile, windowMs: number, count = 15): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const parent = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
  const stackOf = (id: number): CallFrame[] => {
    const frames: CallFrame[] = []
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) frames.push((byId.get(at) as ProfileNode).callFrame)
    return frames
  }
  const byFunction = new Map<string, number>()
  const byStep = new Map<string, number>()
  let busy = 0
  let idle = 0
  const total = profile.timeDeltas.reduce((sum, delta) => sum + delta, 0)
  let elapsed = 0
  profile.samples.forEach((id, i) => {
    elapsed += profile.timeDeltas[i] ?? 0
    if (elapsed < total - windowMs * 1000) return
    // A sample lasts until the next one.
    const time = profile.timeDeltas[i + 1] ?? 0
    const stack = stackOf(id)
    const leaf = stack[0] as CallFrame
    if (leaf.functionName === '(idle)') {
      idle += time
      return
    }
    busy += time
    const name = frameName(leaf)
    byFunction.set(name, (byFunction.get(name) ?? 0) + time)
    const step = stepName(stack)
    byStep.set(step, (byStep.get(step) ?? 0) + time)
  })
  return { busyMs: busy / 1000, idlePercent: (100 * idle) / (busy + idle), byFunction: top(byFunction, busy, count), byStep: top(byStep, busy, count) }
}

export async function readProfile (path: string): Promise<Profile> {
  return JSON.parse(await readFile(path, 'utf8')) as Profile
}

/** Markdown: the two tables side by side in one list each. */
export function formatSummary (title: string, summary: ProfileSummary): string {
  const lines = (shares: Share[]): string => shares.map(({ name, percent }) => `| ${percent.toFixed(1)} | \`${name}\` |`).join('\n')
  return [
    `#### ${title}: ${summary.busyMs.toFixed(0)} ms busy, ${summary.idlePercent.toFixed(1)}% idle`,
    '',
    '| % busy | by function (self time) |',
    '| ---: | --- |',
    lines(summary.byFunction),
    '',
    '| % busy | by step (innermost own frame, else library) |',
    '| ---: | --- |',
    lines(summary.byStep)
  ].join('\n')
}
