/**
 * GET /dashboard: the operations page (public/dashboard), served by the service itself: no CDN,
 * works offline. The page and its two files are open (they hold no data); the data it reads
 * needs a read token when access control is on, which the page asks for. Its own
 * Content-Security-Policy allows scripts, styles and connections to this origin only.
 */
import { readFile, access } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyPluginAsync } from 'fastify'

export const DASHBOARD_CSP = "default-src 'none';script-src 'self';style-src 'self';connect-src 'self';img-src 'self' data:;" +
  "base-uri 'none';form-action 'none';frame-ancestors 'none'"

const FILES = {
  '/dashboard': ['index.html', 'text/html; charset=utf-8'],
  '/dashboard/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/dashboard/app.css': ['app.css', 'text/css; charset=utf-8']
} as const

/** public/dashboard from this file's place: routes/ when run from source, dist/routes/ when built. */
async function assetsDirectory (): Promise<string> {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let up = 0; up < 3; up++) {
    dir = dirname(dir)
    const candidate = join(dir, 'public', 'dashboard')
    if (await access(join(candidate, 'index.html')).then(() => true, () => false)) return candidate
  }
  throw new Error('public/dashboard not found beside the service')
}

const dashboardRoutes: FastifyPluginAsync = async (app) => {
  const dir = await assetsDirectory()
  for (const [url, [file, type]] of Object.entries(FILES)) {
    // Read once: three small files, the same for every request.
    const body = await readFile(join(dir, file))
    const schema = url === '/dashboard'
      ? { tags: ['operations'], summary: 'The operations page (HTML): table, summary, stage funnel, live', security: [], response: { 200: { description: 'text/html', content: { 'text/html': { schema: { type: 'string' } } } } } }
      : { hide: true }
    app.get(url, { config: { public: true }, schema }, async (_request, reply) => {
      return await reply
        .header('content-security-policy', DASHBOARD_CSP)
        .header('cache-control', 'no-cache')
        .type(type)
        .send(body)
    })
  }
}

export default dashboardRoutes
