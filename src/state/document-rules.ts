/**
 * Rules of a state document that its JSON schema cannot express; checked after the schema.
 */
import type { StateDocument } from '../../schemas/state-document.js'
import { ContactIdMismatchError, InvalidDocumentError } from '../errors.js'
import { toEpochMs } from './python-datetime.js'

const DATETIME_FIELDS = ['last_interaction', 'conversation_started'] as const

/** Throws a 400 naming the field when the document breaks a rule. */
export function checkDocumentRules (doc: StateDocument, contactId: string): void {
  if (doc.contact_id !== undefined && doc.contact_id !== contactId) throw new ContactIdMismatchError(doc.contact_id, contactId)
  for (const field of DATETIME_FIELDS) {
    const value = doc[field]
    // The schema's pattern allows day 31 in every month; Python's fromisoformat does not.
    if (typeof value === 'string' && toEpochMs(value) === null) {
      throw new InvalidDocumentError(`body/${field} is not a date that exists (got ${value})`)
    }
  }
}
