/**
 * Where this replica last put each contact in the listing indexes. A write script must be given
 * the keys of the contact's current place (to take it out of them) before it runs; remembering
 * the place of the last write saves the round trip that would read it first. A wrong guess costs
 * one more round trip: the script refuses before writing and names the actual place.
 */
export class RecentPlaces {
  private readonly places = new Map<string, string>()

  constructor (private readonly capacity: number) {}

  /** The remembered place (`''` for none), or undefined when this replica does not know. */
  get (contactId: string): string | undefined {
    return this.places.get(contactId)
  }

  set (contactId: string, meta: string): void {
    // Re-inserted, so that the least recently written contact is the first to be forgotten.
    this.places.delete(contactId)
    this.places.set(contactId, meta)
    if (this.places.size > this.capacity) this.places.delete(this.places.keys().next().value as string)
  }
}
