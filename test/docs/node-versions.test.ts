/**
 * One supported Node, said the same everywhere: Node 24 LTS, with package.json's engines as the
 * floor. Every installed package accepts both (so `npm ci` prints no engine warning on them), and
 * the README, .nvmrc and the image name the same major.
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import semver from 'semver'

const SUPPORTED_MAJOR = 24

t.test('Node 24 and the engines floor satisfy every installed package', async (t) => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } }
  const floor = semver.minVersion(pkg.engines.node)
  t.ok(floor !== null && floor.major >= 22, `the floor is an LTS still supported (${String(floor)})`)
  t.ok(semver.satisfies(`${SUPPORTED_MAJOR}.0.0`, pkg.engines.node), 'engines admits Node 24')

  const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, { engines?: { node?: string } | string[] }> }
  const refusing = Object.entries(lock.packages)
    .flatMap(([name, entry]) => {
      const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node
      if (range === undefined || name === '') return []
      return [String(floor), `${SUPPORTED_MAJOR}.0.0`].filter((version) => !semver.satisfies(version, range)).map((version) => `${name} (${range}) refuses ${version}`)
    })
  t.same(refusing, [], 'no package would print EBADENGINE on the floor or on Node 24')
})

t.test('the README, .nvmrc and the image name the same Node', async (t) => {
  const readme = readFileSync('README.md', 'utf8')
  const quickStart = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('\n## ', readme.indexOf('## Quick start') + 1))
  t.match(quickStart, new RegExp(`Node\\.js ${SUPPORTED_MAJOR}`), 'the Quick start names Node 24')
  t.equal(readFileSync('.nvmrc', 'utf8').trim(), String(SUPPORTED_MAJOR))
  for (const from of readFileSync('Dockerfile', 'utf8').match(/^FROM .*/gm) ?? []) t.match(from, new RegExp(`^FROM node:${SUPPORTED_MAJOR}-`), from)
})
