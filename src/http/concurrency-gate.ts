/**
 * A limit on how many of one kind of request run at once, in this replica and per client: the
 * dashboard's expensive reads (search, deep pages, view=full) must leave the bot's GET and PUT
 * their share of the event loop and of Redis, whatever one dashboard does. Refuses rather than
 * queues: a queue would hold the memory and the connections the limit is there to bound.
 */
export type GateRefusal = 'client' | 'replica'

export class ConcurrencyGate {
  private running = 0
  private readonly byClient = new Map<string, number>()

  constructor (private readonly perReplica: number, private readonly perClient: number) {}

  /** Enters for `client`; null when admitted (leave() once done), else which limit refused. */
  enter (client: string): GateRefusal | null {
    const own = this.byClient.get(client) ?? 0
    if (own >= this.perClient) return 'client'
    if (this.running >= this.perReplica) return 'replica'
    this.running++
    this.byClient.set(client, own + 1)
    return null
  }

  leave (client: string): void {
    this.running--
    const own = (this.byClient.get(client) ?? 1) - 1
    if (own === 0) this.byClient.delete(client)
    else this.byClient.set(client, own)
  }
}
