/**
 * Every Redis key name the service uses. No other module builds key strings.
 */
export interface KeySpace {
  /** Prefix of every state key; the Lua migration needs it to reach each member's state. */
  statePrefix: string
  /** The document of one contact (a hash, see state-repository.ts). */
  state: (contactId: string) => string
  /** Sorted set of active contact ids scored by the expiry time of their state, in ms. */
  activeIndex: string
}

export function createKeySpace (prefix: string): KeySpace {
  const statePrefix = `${prefix}state:`
  return {
    statePrefix,
    state: (contactId) => statePrefix + contactId,
    activeIndex: `${prefix}active_contacts`
  }
}
