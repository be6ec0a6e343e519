/**
 * The Lua scripts' source: one file per script in ./lua, with shared functions in ./lua/includes
 * pulled in by a `--- @include "includes/<name>"` line (as BullMQ writes its commands). Each
 * include is inlined once per script, where it is first named.
 */
import { readFileSync } from 'node:fs'

const LUA_DIR = new URL('./lua/', import.meta.url)
const INCLUDE = /^--- @include "([a-z/-]+)"$/gm

export function luaSource (name: string): string {
  const included = new Set<string>()
  const expand = (file: string): string => readFileSync(new URL(`${file}.lua`, LUA_DIR), 'utf8').replace(INCLUDE, (_, include: string) => {
    if (included.has(include)) return ''
    included.add(include)
    return expand(include)
  })
  return expand(name)
}
