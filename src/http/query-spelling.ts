/**
 * Query strings as a dashboard writes them, one rule for every parameter of every route: a value
 * of an enumeration (stage, temperature, sort, order, view) in any letter case is that value, and
 * a known parameter given empty (`q=`, as a form's blank field sends it) is a parameter not given.
 * Unknown parameters, empty or not, are left for the schema to refuse.
 */
import type { TSchema } from '@sinclair/typebox'

/** Each enumerated property's values by their lower-case spelling. */
function enumerations (schema: TSchema): Map<string, Map<string, string>> {
  const properties = (schema.properties ?? {}) as Record<string, TSchema>
  const found = new Map<string, Map<string, string>>()
  for (const [name, property] of Object.entries(properties)) {
    const members = property.anyOf as TSchema[] | undefined
    if (members === undefined || !members.every((member) => typeof member.const === 'string')) continue
    found.set(name, new Map(members.map((member) => [(member.const as string).toLowerCase(), member.const as string])))
  }
  return found
}

/** The function that rewrites a parsed query string of this schema. */
export function querySpelling (schema: TSchema): (query: unknown) => unknown {
  const values = enumerations(schema)
  const known = new Set(Object.keys(schema.properties ?? {}))
  return (query) => {
    if (query === null || typeof query !== 'object') return query
    const read: Record<string, unknown> = {}
    for (const [name, value] of Object.entries(query)) {
      if (value === '' && known.has(name)) continue
      // Defined, not assigned: a parameter named __proto__ must stay a parameter (the schema refuses it).
      Object.defineProperty(read, name, {
        value: typeof value === 'string' ? values.get(name)?.get(value.toLowerCase()) ?? value : value,
        enumerable: true,
        writable: true,
        configurable: true
      })
    }
    return read
  }
}
