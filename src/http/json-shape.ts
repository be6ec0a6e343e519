/**
 * One pass over a JSON text (already known to parse) for what JSON.parse does not tell: how
 * deeply it nests, how its top-level numbers are spelled (`2.0` and `1e5` parse to integers, but
 * Python reads them back as floats), and whether an object repeats a member name. Names are
 * compared as they read once unescaped: `"current\u005fquestion"` is `current_question`, so an
 * escape cannot dodge a rule about a member, and a repeated one cannot show one value to this
 * service (the last, as JSON.parse keeps) and another to a parser where the first wins.
 */
export interface JsonShape {
  depth: number
  /** The text of each number that is a direct member of the top-level object, by member name. */
  topLevelNumbers: Map<string, string>
  /** The path of the first member name an object repeats (names from the top), or null. */
  duplicateMember: string[] | null
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c
const MINUS = 0x2d
const DIGIT_0 = 0x30
const DIGIT_9 = 0x39
const OPEN_OBJECT = 0x7b
const CLOSE_OBJECT = 0x7d
const OPEN_ARRAY = 0x5b
const CLOSE_ARRAY = 0x5d
const NUMBER_TOKEN = /-?[0-9][0-9.eE+-]*/y

/** An object or array being read: the member names seen so far, and where the reader is in it. */
interface Frame {
  names: Set<string> | null
  /** The current member's name, or the current element's index. */
  key: string
  expectingName: boolean
}

/** The index of the quote that closes the string starting at `from`: most of a document is strings. */
function closingQuote (text: string, from: number): number {
  let quote = text.indexOf('"', from)
  for (;;) {
    // Escaped when preceded by an odd number of backslashes.
    let backslashes = 0
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++
    if (backslashes % 2 === 0) return quote
    quote = text.indexOf('"', quote + 1)
  }
}

/** A member name as it reads once its escapes are decoded. */
const nameOf = (raw: string): string => raw.includes('\\') ? JSON.parse(`"${raw}"`) as string : raw

// One switch on the character code per character outside strings: the body of every PUT goes
// through here, so no per-character allocation, Set lookup or regular expression.
export function scanJson (text: string): JsonShape {
  const shape: JsonShape = { depth: 0, topLevelNumbers: new Map(), duplicateMember: null }
  const frames: Frame[] = []
  let frame: Frame | undefined
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    switch (code) {
      case QUOTE: {
        const start = i + 1
        i = closingQuote(text, start)
        if (frame?.names != null && frame.expectingName) {
          const name = nameOf(text.slice(start, i))
          if (frame.names.has(name) && shape.duplicateMember === null) shape.duplicateMember = [...frames.slice(0, -1).map((f) => f.key), name]
          frame.names.add(name)
          frame.key = name
          frame.expectingName = false
        }
        break
      }
      case OPEN_OBJECT:
      case OPEN_ARRAY: {
        const object = code === OPEN_OBJECT
        frame = { names: object ? new Set() : null, key: object ? '' : '0', expectingName: object }
        frames.push(frame)
        if (frames.length > shape.depth) shape.depth = frames.length
        break
      }
      case CLOSE_OBJECT:
      case CLOSE_ARRAY:
        frames.pop()
        frame = frames[frames.length - 1]
        break
      case COMMA:
        if (frame === undefined) break
        if (frame.names === null) frame.key = String(Number(frame.key) + 1)
        else frame.expectingName = true
        break
      default:
        if (frames.length === 1 && frame?.names != null && frame.key !== '' && (code === MINUS || (code >= DIGIT_0 && code <= DIGIT_9))) {
          NUMBER_TOKEN.lastIndex = i
          const token = NUMBER_TOKEN.exec(text)?.[0] ?? ''
          shape.topLevelNumbers.set(frame.key, token)
          i += token.length - 1
        }
    }
  }
  return shape
}
