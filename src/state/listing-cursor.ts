/**
 * The cursor of a listing: where the last page ended (group of the plan, score, contact id),
 * bound to the query it came from. Page numbers are positions, which shift when a conversation
 * moves; a cursor continues after the last conversation seen, whatever moved meanwhile.
 */
import { createHash } from 'node:crypto'
import { InvalidCursorError } from '../errors.js'
import { ID_PATTERN } from '../../schemas/common.js'
import type { ActiveSelection } from './active-listing.js'
import type { ListPosition } from '../redis/scripts.js'

// What Redis writes for a score, and a contact id: anything else was not made here.
const SCORE = /^-?\d+(\.\d+)?(e[+-]?\d+)?$/
const CONTACT_ID = new RegExp(ID_PATTERN)

/** Where the last page ended: a position of the plan (1-based group), as list-page.lua gives it. */
export type CursorPosition = ListPosition

/** What a cursor may only be used with: the same order and filters. */
function queryOf (selection: ActiveSelection): string {
  const { sort, order, location_id: location, stage, temperature, stalled } = selection
  return createHash('sha1').update(JSON.stringify([sort, order, location, stage, temperature, stalled])).digest('base64url').slice(0, 12)
}

export function encodeCursor (selection: ActiveSelection, position: CursorPosition): string {
  return Buffer.from(JSON.stringify([queryOf(selection), position.group, position.score, position.contactId])).toString('base64url')
}

export function decodeCursor (cursor: string, selection: ActiveSelection): CursorPosition {
  let parts: unknown
  try {
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    throw new InvalidCursorError('it is not a cursor this service gave')
  }
  if (!Array.isArray(parts) || parts.length !== 4 || typeof parts[1] !== 'number' || !Number.isInteger(parts[1]) || parts[1] < 1 ||
    typeof parts[2] !== 'string' || !SCORE.test(parts[2]) || typeof parts[3] !== 'string' || !CONTACT_ID.test(parts[3])) {
    throw new InvalidCursorError('it is not a cursor this service gave')
  }
  if (parts[0] !== queryOf(selection)) throw new InvalidCursorError('it belongs to a query with another sort or other filters')
  return { group: parts[1], score: parts[2], contactId: parts[3] }
}
