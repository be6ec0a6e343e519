/**
 * Rules of a state document beyond what Fastify checks against its schema on PUT: the contact
 * id of the path, and datetimes that exist. A merged PATCH result gets the schema check too.
 */
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { StateDocumentSchema, type StateDocument } from '../../schemas/state-document.js'
import { ContactIdMismatchError, InvalidDocumentError } from '../errors.js'
import { fieldErrors } from '../http/validator-compiler.js'
import { toEpochMs } from './python-datetime.js'

const DATETIME_FIELDS = ['last_interaction', 'conversation_started'] as const
const stateDocument = TypeCompiler.Compile(StateDocumentSchema)

/** Throws a 400 naming the field (under `where`) when a schema-valid document breaks a rule. */
export function checkDocumentRules (doc: StateDocument, contactId: string, where = 'body'): void {
  if (doc.contact_id !== undefined && doc.contact_id !== contactId) throw new ContactIdMismatchError(doc.contact_id, contactId)
  for (const field of DATETIME_FIELDS) {
    const value = doc[field]
    // The schema's pattern allows day 31 in every month; Python's fromisoformat does not.
    if (typeof value === 'string' && toEpochMs(value) === null) {
      throw new InvalidDocumentError(`${where}/${field} is not a date that exists (got ${value})`)
    }
  }
}

/** Checks a document built by the service (a merged patch): schema, then rules. */
export function checkStateDocument (value: unknown, contactId: string): asserts value is StateDocument {
  if (!stateDocument.Check(value)) {
    const details = fieldErrors(stateDocument, value).map(({ instancePath, message }) => `document${instancePath} ${message}`)
    throw new InvalidDocumentError(`The patched document would be invalid: ${details.join(', ')}`)
  }
  checkDocumentRules(value, contactId, 'document')
}
