/**
 * Failed authentications summed up in one log line per interval (how many, how many limited,
 * the addresses that sent most), instead of one line each: a flood of them wrote 9 MB of log in
 * 10 s. Addresses are kept up to a bound, so a flood from many addresses cannot grow memory.
 */
import type { FastifyBaseLogger } from 'fastify'

const MAX_ADDRESSES = 1000
const TOP_ADDRESSES = 5

export class FailureSummary {
  private failures = 0
  private limited = 0
  private readonly byAddress = new Map<string, number>()
  private readonly timer: NodeJS.Timeout

  constructor (private readonly log: FastifyBaseLogger, intervalMs: number) {
    this.timer = setInterval(() => this.flush(), intervalMs).unref()
  }

  count (address: string, limited: boolean): void {
    this.failures++
    if (limited) this.limited++
    if (this.byAddress.has(address) || this.byAddress.size < MAX_ADDRESSES) this.byAddress.set(address, (this.byAddress.get(address) ?? 0) + 1)
  }

  /** Logs what was counted since the last line, if anything. */
  flush (): void {
    if (this.failures === 0) return
    const top = [...this.byAddress].sort((a, b) => b[1] - a[1]).slice(0, TOP_ADDRESSES).map(([address, count]) => ({ address, count }))
    this.log.warn({ failures: this.failures, limited: this.limited, addresses: this.byAddress.size, top }, 'Failed authentications')
    this.failures = 0
    this.limited = 0
    this.byAddress.clear()
  }

  stop (): void {
    clearInterval(this.timer)
    this.flush()
  }
}
