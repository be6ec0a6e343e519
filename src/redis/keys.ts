/**
 * Every Redis key name the service uses. No other module builds key strings.
 */
export interface KeySpace {
  /** Prefix of every state key; the sweep finds states by scanning for it. */
  statePrefix: string
  /** The document of one contact (a hash, see state-envelope.ts). */
  state: (contactId: string) => string
  /** Sorted set of active contact ids scored by the expiry time of their state, in ms. */
  activeIndex: string
  /** The remembered response of a write made with an Idempotency-Key, scoped to its contact. */
  idempotency: (contactId: string, key: string) => string
  /** Held by the replica that runs the index sweep. */
  sweepLock: string
}

export function createKeySpace (prefix: string): KeySpace {
  const statePrefix = `${prefix}state:`
  return {
    statePrefix,
    state: (contactId) => statePrefix + contactId,
    activeIndex: `${prefix}active_contacts`,
    // Contact ids contain no ':', so a key can never reach another contact's records.
    idempotency: (contactId, key) => `${prefix}idempotency:${contactId}:${key}`,
    sweepLock: `${prefix}lock:index_sweep`
  }
}
