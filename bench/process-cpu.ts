/**
 * CPU time of processes, from /proc (Linux): what one request costs the server and Redis,
 * whatever else the machine does (the load average moves requests/s, not the CPU a request takes).
 */
import { readFileSync } from 'node:fs'

// USER_HZ: the unit of /proc/<pid>/stat's times on every Linux architecture in use.
const TICKS_PER_SECOND = 100

/** User + system CPU time of a process in ms; null where /proc cannot tell. */
export function cpuTimeMs (pid: number): number | null {
  try {
    // The command name (field 2) may hold spaces: fields are counted after its closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND
  } catch {
    return null
  }
}

/** A stopwatch of several processes' CPU time. */
export function cpuStopwatch (pids: readonly number[]): () => Array<number | null> {
  const start = pids.map(cpuTimeMs)
  return () => pids.map((pid, i) => {
    const now = cpuTimeMs(pid)
    const then = start[i]
    return now === null || then === null || then === undefined ? null : now - then
  })
}
