/**
 * The README's examples, run as a reader runs them: its curl commands through bash against a
 * listening service, their answers compared with the ones the README shows (where it writes
 * `...`, anything; where the service writes a time, any time). Its Python is the Python
 * package's examples, run by clients/python/tests (test_examples.py, test_readme.py).
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { build } from '../helper.js'

const README = readFileSync('README.md', 'utf8')
const README_BASE = 'http://127.0.0.1:3000'

interface Example { command: string, expected: string }

/** The fenced blocks of a README section, in order, with their language. */
function blocks (heading: string): Array<{ lang: string, text: string }> {
  const start = README.indexOf(`\n${heading}\n`)
  const next = README.slice(start + heading.length + 2).search(/\n#{2,3} /)
  const section = README.slice(start, start + heading.length + 2 + next)
  return [...section.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((match) => ({ lang: match[1] as string, text: match[2] as string }))
}

/**
 * Curl commands and the answers the README shows: a shell block followed by an answer block,
 * or commands each followed by `# answer` lines.
 */
function examples (heading: string): Example[] {
  const found: Example[] = []
  const list = blocks(heading)
  list.forEach(({ lang, text }, i) => {
    if (lang !== 'sh' || !text.includes('curl')) return
    if (!text.includes('\n# ')) {
      found.push({ command: text, expected: list[i + 1]?.text ?? '' })
      return
    }
    let command = ''
    for (const line of text.split('\n')) {
      if (line.startsWith('# ')) {
        found.push({ command, expected: line.slice(2) })
        command = ''
      } else if (line !== '') command += `${line}\n`
    }
  })
  return found
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** The README's answer as a pattern: `...` stands for anything, the service's own times for any time. */
function patternOf (expected: string): string {
  return expected.trim().split(/\s*\.\.\.\s*/).map((part) => escape(part)
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\\\.\d{3}\\\+00:00/g, '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\+00:00')
    .replace(/[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT/g, '[A-Z][a-z]{2}, \\d\\d [A-Z][a-z]{2} \\d{4} \\d\\d:\\d\\d:\\d\\d GMT')
  ).join('[\\s\\S]*?')
}

/** What a command prints: its standard output (curl's progress meter goes to stderr), then stderr. */
async function run (command: string, args: string[], cwd: string): Promise<{ stdout: string, stderr: string }> {
  const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  const output = { stdout: '', stderr: '' }
  child.stdout.on('data', (chunk: Buffer) => { output.stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output.stderr += chunk.toString() })
  await once(child, 'exit')
  return output
}

/** Compares an answer with the README's; `curl -i` answers header by header (the README shows a few). */
function compare (t: Test, example: Example, actual: string): void {
  const label = example.command.split('\n')[0] as string
  if (!/^HTTP\/1\.1 /.test(example.expected)) {
    t.match(actual.trim(), new RegExp(`^${patternOf(example.expected)}$`), label)
    return
  }
  const [expectedHead = '', expectedBody = ''] = example.expected.split(/\n\n/)
  const [actualHead = '', actualBody = ''] = actual.split(/\r\n\r\n/)
  const headers = actualHead.split('\r\n')
  for (const line of expectedHead.split('\n')) {
    t.ok(headers.some((header) => new RegExp(`^${patternOf(line)}$`, 'i').test(header)), `${label}: ${line}`)
  }
  t.match(actualBody.trim(), new RegExp(`^${patternOf(expectedBody)}$`), `${label}: the body`)
}

async function serve (t: Test): Promise<{ url: string, dir: string }> {
  const { app } = await build(t)
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  const dir = mkdtempSync(join(tmpdir(), 'seller-state-readme-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return { url, dir }
}

async function curl (example: Example, url: string, dir: string): Promise<string> {
  return (await run('bash', ['-c', example.command.replaceAll(README_BASE, url)], dir)).stdout
}

t.test('the curl examples answer what the README shows', async (t) => {
  const { url, dir } = await serve(t)
  const found = examples('### Examples with curl')
  t.ok(found.length >= 7, `${found.length} examples`)
  // "The same document as above, saved in state.json."
  writeFileSync(join(dir, 'state.json'), /-d '([^']*)'/.exec(found[0]?.command ?? '')?.[1] ?? '')
  for (const example of found) compare(t, example, await curl(example, url, dir))
})

t.test('the PATCH example answers what the README shows, on the contact the curl examples create', async (t) => {
  const { url, dir } = await serve(t)
  const [create] = examples('### Examples with curl')
  const [patch] = examples('### PATCH: JSON Merge Patch')
  t.ok(create !== undefined && patch !== undefined)
  await curl(create as Example, url, dir)
  compare(t, patch as Example, await curl(patch as Example, url, dir))
})
