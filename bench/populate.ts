/**
 * Fills the service with active contacts through its own PUT (the key layout is the service's
 * business): autocannon sends exactly `to - from` writes over 50 connections, one per contact.
 * PUT is an unconditional replace, so a range with failed writes is simply written again (once).
 */
import type { Request } from 'autocannon'
import { measure } from './measure.js'
import { pythonJson, stateDocument } from './state-doc.js'

export const listingContactId = (i: number): string => `lc${String(i).padStart(7, '0')}`

export async function populate (url: string, from: number, to: number, nowMs: number, log: (message: string) => void): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const failed = await writeRange(url, from, to, nowMs)
    if (failed === '') return
    if (attempt === 2) throw new Error(`populating ${from}..${to}: ${failed}`)
    log(`  populating ${from}..${to}: ${failed}; writing the range again`)
  }
}

/** Writes the range; '' when every write succeeded, else what failed. */
async function writeRange (url: string, from: number, to: number, nowMs: number): Promise<string> {
  const amount = to - from
  if (amount <= 0) return ''
  let next = from
  const write: Request = {
    method: 'PUT',
    setupRequest: (request) => {
      const i = next++
      const contactId = listingContactId(i)
      const body = pythonJson(stateDocument(contactId, i, nowMs))
      return { ...request, path: `/seller/state/${contactId}`, headers: { 'content-type': 'application/json' }, body }
    }
  }
  const stats = await measure({ url, connections: Math.min(50, amount), amount, requests: [write] })
  if (stats.failures === 0 && stats.count === amount) return ''
  return `${stats.count} written, ${stats.failures} failed ${JSON.stringify(stats.failuresByStatus ?? {})}`
}
