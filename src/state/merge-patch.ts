/**
 * JSON Merge Patch (RFC 7396): `null` removes a member, objects merge recursively, anything else
 * (arrays included) replaces. Works on values parsed with lossless-json, so numbers keep their
 * exact spelling and existing members keep their place.
 */
type JsonObject = Record<string, unknown>

function isObject (value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype
}

export function applyMergePatch (target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch
  const result: JsonObject = isObject(target) ? { ...target } : {}
  for (const [name, value] of Object.entries(patch)) {
    if (value === null) delete result[name]
    else result[name] = applyMergePatch(result[name], value)
  }
  return result
}
