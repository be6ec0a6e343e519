/**
 * Rules of a state document beyond what Fastify checks against its schema on PUT: the contact
 * id of the path, and datetimes that exist. A merged PATCH result gets the schema check too.
 */
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { StateDocumentSchema, type StateDocument } from '../../schemas/state-document.js'
import { ContactIdMismatchError, InvalidDocumentError } from '../errors.js'
import { fieldErrors } from '../http/validator-compiler.js'
import { scanJson } from '../http/json-shape.js'
import { toEpochMs } from './python-datetime.js'

const DATETIME_FIELDS = ['last_interaction', 'conversation_started'] as const
const INTEGER_FIELDS = ['current_question', 'questions_answered', 'price_expectation'] as const
const INTEGER_SPELLING = /^-?\d+$/
const stateDocument = TypeCompiler.Compile(StateDocumentSchema)

/**
 * Throws a 400 naming the field (under `where`) when a schema-valid document breaks a rule.
 * `numbers` says how the document's top-level numbers are spelled (scanJson).
 */
export function checkDocumentRules (doc: StateDocument, numbers: ReadonlyMap<string, string>, contactId: string, where = 'body'): void {
  if (doc.contact_id !== undefined && doc.contact_id !== contactId) throw new ContactIdMismatchError(doc.contact_id, contactId)
  for (const field of INTEGER_FIELDS) {
    // 2.0 and 1e5 are integers to JavaScript, floats to the bot's Python.
    const spelled = numbers.get(field)
    if (spelled !== undefined && !INTEGER_SPELLING.test(spelled)) {
      throw new InvalidDocumentError(`${where}/${field} must be written as an integer: send 2 rather than 2.0 or 2e0 (got ${spelled})`)
    }
  }
  for (const field of DATETIME_FIELDS) {
    const value = doc[field]
    // The schema's pattern allows day 31 in every month; Python's fromisoformat does not.
    if (typeof value === 'string' && toEpochMs(value) === null) {
      throw new InvalidDocumentError(`${where}/${field} is not a date that exists (got ${value}); send a real date`)
    }
  }
}

/** Checks a document built by the service (a merged patch) from its text: schema, then rules. */
export function checkStateDocument (json: string, contactId: string): StateDocument {
  const value: unknown = JSON.parse(json)
  if (!stateDocument.Check(value)) {
    const details = fieldErrors(stateDocument, value).map(({ instancePath, message }) => `document${instancePath} ${message}`)
    throw new InvalidDocumentError(`The patched document would be invalid: ${details.join(', ')}`)
  }
  checkDocumentRules(value, scanJson(json).topLevelNumbers, contactId, 'document')
  return value
}
