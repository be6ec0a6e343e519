/**
 * The pinned mode: the HTTP server under test alone on one core, Redis and the load generator
 * (this process) on another, with `taskset`. Unpinned, the three compete for every core, the
 * server's share changes from run to run and so do the ratios; pinned, the server's core is all
 * its own and the ratios repeat. The default where there are two cores or more and taskset exists;
 * BENCH_PINNED=0 turns it off, BENCH_PINNED=1 insists on it.
 */
import { execFileSync } from 'node:child_process'
import { cpus } from 'node:os'

export interface Placement {
  /** CPU list (taskset -c) of the server under test: the service, the floor, the ceiling. */
  server: string
  /** CPU list of Redis and the load generator. */
  load: string
}

function hasTaskset (): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** The placement to use, or null for the unpinned mode. */
export function choosePlacement (): Placement | null {
  const wanted = process.env.BENCH_PINNED ?? ''
  if (wanted === '0') return null
  const possible = cpus().length >= 2 && hasTaskset()
  if (wanted === '1' && !possible) throw new Error('BENCH_PINNED=1 needs at least 2 cores and taskset on the PATH')
  if (wanted !== '' && wanted !== '1') throw new Error(`BENCH_PINNED must be 0 or 1 (got ${JSON.stringify(wanted)})`)
  return possible ? { server: '0', load: '1' } : null
}

/** The command line that runs `command` on `cpuList`, or as it is when cpuList is undefined. */
export function onCpus (cpuList: string | undefined, command: string, args: string[]): [string, string[]] {
  return cpuList === undefined ? [command, args] : ['taskset', ['-c', cpuList, command, ...args]]
}

/** Moves every thread of this process onto `cpuList`. */
export function pinThisProcess (cpuList: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpuList, String(process.pid)], { stdio: 'ignore' })
}
