/**
 * One pass over a JSON text (already known to parse) for what JSON.parse does not tell: how
 * deeply it nests, and how its top-level numbers are spelled (`2.0` and `1e5` parse to integers,
 * but Python reads them back as floats).
 */
export interface JsonShape {
  depth: number
  /** The text of each number that is a direct member of the top-level object, by member name. */
  topLevelNumbers: Map<string, string>
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c
const OPEN = new Set([0x7b, 0x5b])
const CLOSE = new Set([0x7d, 0x5d])
const NUMBER_START = /[-0-9]/
const NUMBER_TOKEN = /-?[0-9][0-9.eE+-]*/y

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

export function scanJson (text: string): JsonShape {
  const shape: JsonShape = { depth: 0, topLevelNumbers: new Map() }
  let depth = 0
  let topIsObject = false
  let expectingName = false
  let name: string | null = null
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code === QUOTE) {
      const start = i + 1
      i = closingQuote(text, start)
      if (depth === 1 && topIsObject && expectingName) {
        name = text.slice(start, i)
        expectingName = false
      }
    } else if (OPEN.has(code)) {
      if (depth === 0) topIsObject = code === 0x7b
      depth++
      if (depth > shape.depth) shape.depth = depth
      if (depth === 1) expectingName = true
    } else if (CLOSE.has(code)) {
      depth--
    } else if (depth === 1 && topIsObject) {
      if (code === COMMA) expectingName = true
      else if (name !== null && NUMBER_START.test(text[i] as string)) {
        NUMBER_TOKEN.lastIndex = i
        const token = NUMBER_TOKEN.exec(text)?.[0] ?? ''
        shape.topLevelNumbers.set(name, token)
        i += token.length - 1
      }
    }
  }
  return shape
}
