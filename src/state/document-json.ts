/**
 * Edits of a document's JSON text that leave every byte the client sent in place.
 */

/** Adds `contact_id` as the first member of a JSON object text. */
export function withContactId (json: string, contactId: string): string {
  const brace = json.indexOf('{')
  const rest = json.slice(brace + 1)
  const separator = rest.trimStart().startsWith('}') ? '' : ','
  return `${json.slice(0, brace + 1)}"contact_id":${JSON.stringify(contactId)}${separator}${rest}`
}
