/**
 * The service's own package.json, found from this file whether it runs from src/ (tests, scripts)
 * or dist/src/ (npm start, the image), so that its version is written in one place.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

function findPackageJson (from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'package.json')
    if (existsSync(candidate)) return candidate
    if (dirname(dir) === dir) throw new Error(`No package.json above ${from}`)
  }
}

export const PACKAGE = JSON.parse(readFileSync(findPackageJson(dirname(fileURLToPath(import.meta.url))), 'utf8')) as { name: string, version: string, license?: string }
