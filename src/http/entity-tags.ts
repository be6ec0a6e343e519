/**
 * Entity tags (RFC 9110 §8.8.3) and the conditional request headers built on them.
 */
import { InvalidHeaderError } from '../errors.js'
import type { Preconditions } from '../state/state-store.js'

// entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, in a comma-separated list whose empty elements
// are ignored (RFC 9110 §5.6.1). Sticky expressions read the list once from left to right: its
// cost is linear in the header's length, whatever a client puts in it.
const SEPARATORS = /[\s,]*/y
const ENTITY_TAG = /(W\/)?"([\x21\x23-\x7e]*)"\s*(?:,|$)/y

/** More than a client with a reason needs (the bot sends one), and cheap to compare. */
export const MAX_ENTITY_TAGS = 64

export function formatEntityTag (tag: string): string {
  return `"${tag}"`
}

interface ParsedTag { weak: boolean, opaque: string }

function parseList (header: string, name: string): '*' | ParsedTag[] {
  if (header.trim() === '*') return '*'
  const tags: ParsedTag[] = []
  let position = 0
  for (;;) {
    SEPARATORS.lastIndex = position
    SEPARATORS.exec(header)
    position = SEPARATORS.lastIndex
    if (position >= header.length) break
    if (tags.length === MAX_ENTITY_TAGS) throw new InvalidHeaderError(name, `must not list more than ${MAX_ENTITY_TAGS} entity tags`)
    ENTITY_TAG.lastIndex = position
    const match = ENTITY_TAG.exec(header)
    if (match === null) throw new InvalidHeaderError(name, 'must be * or a comma-separated list of quoted entity tags')
    tags.push({ weak: match[1] !== undefined, opaque: match[2] as string })
    position = ENTITY_TAG.lastIndex
  }
  if (tags.length === 0) throw new InvalidHeaderError(name, 'must not be empty')
  return tags
}

/** If-Match and If-None-Match of a write. Only `If-None-Match: *` has a meaning for writes. */
export function parseWritePreconditions (ifMatch: string | undefined, ifNoneMatch: string | undefined): Preconditions {
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '*') {
    throw new InvalidHeaderError('If-None-Match', 'on a write must be *')
  }
  let match: Preconditions['ifMatch'] = null
  if (ifMatch !== undefined) {
    const parsed = parseList(ifMatch, 'If-Match')
    // If-Match uses the strong comparison: a weak tag never matches.
    match = parsed === '*' ? '*' : parsed.filter((tag) => !tag.weak).map((tag) => tag.opaque)
  }
  return { ifMatch: match, ifNoneMatchAny: ifNoneMatch !== undefined }
}

/** Whether a GET's If-None-Match names the current tag (weak comparison), so 304 applies. */
export function matchesIfNoneMatch (ifNoneMatch: string | undefined, currentTag: string): boolean {
  if (ifNoneMatch === undefined) return false
  const parsed = parseList(ifNoneMatch, 'If-None-Match')
  return parsed === '*' || parsed.some((tag) => tag.opaque === currentTag)
}
