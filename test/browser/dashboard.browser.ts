/**
 * The operations page in a real browser: Debian's chromium driven by playwright-core, against the
 * app on a private redis-server. Screenshots go to test/artifacts/ (ignored by git).
 */
import { mkdir } from 'node:fs/promises'
import type { Socket } from 'node:net'
import t, { type Test } from 'tap'
import { chromium, type Browser, type Page } from 'playwright-core'
import { build, botState, putState, deleteState, type TestApp } from '../helper.js'
import { seededSeller } from '../../scripts/demo-data.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const ARTIFACTS = 'test/artifacts'
const READ = 'read-token-0123456789abcdef'
const SELLERS = 45

let browser: Browser
t.before(async () => {
  await mkdir(ARTIFACTS, { recursive: true })
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
})
t.teardown(async () => await browser.close())

async function seeded (t: Test, env: Record<string, string> = {}): Promise<TestApp & { url: string }> {
  const ctx = await build(t, env)
  const headers: Record<string, string> = env.API_KEYS === undefined ? {} : { authorization: `Bearer ${env.API_KEYS.split(',')[0]?.split(':')[1] ?? ''}` }
  const now = Date.now()
  for (let i = 0; i < SELLERS; i++) {
    const { contactId, state } = seededSeller(i, now)
    const res = await putState(ctx.app, contactId, { ...state, contact_id: contactId }, headers)
    if (res.statusCode !== 201) throw new Error(res.body)
  }
  const url = await ctx.app.listen({ port: 0, host: '127.0.0.1' })
  return { ...ctx, url }
}

async function summary (ctx: TestApp): Promise<Record<string, any>> {
  return JSON.parse((await ctx.app.inject({ url: '/seller/active/summary' })).body)
}

const rowIds = async (page: Page): Promise<string[]> => await page.locator('#rows tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-contact-id') ?? ''))

t.test('the page shows the table, tiles and funnel, filters and pages, and follows the feed', async (t) => {
  const ctx = await seeded(t)
  const sockets = new Set<Socket>()
  ctx.app.server.on('connection', (socket: Socket) => sockets.add(socket))
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } })
  t.teardown(() => page.close())
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(err.message))
  page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()) })

  const response = await page.goto(`${ctx.url}/dashboard`)
  t.match(response?.headers()['content-security-policy'], /default-src 'none';script-src 'self';style-src 'self';connect-src 'self'/)
  await page.locator('#connection', { hasText: 'Live' }).waitFor()
  await page.locator('#rows tr').nth(19).waitFor()
  t.equal((await rowIds(page)).length, 20, 'a page of 20')
  t.equal(await page.locator('#range').textContent(), `1–20 of ${SELLERS}`)

  const counts = await summary(ctx)
  t.equal(await page.locator('#tile-total').textContent(), String(counts.total), 'active tile')
  t.equal(await page.locator('#tile-qualified').textContent(), String(counts.qualified), 'qualified tile')
  t.equal(await page.locator('#tile-stalled').textContent(), String(counts.stalled), 'stalled tile')
  for (const temperature of ['HOT', 'WARM', 'COLD']) {
    t.equal(await page.locator(`#tile-${temperature}`).textContent(), String(counts.by_temperature[temperature]), `${temperature} tile`)
  }
  for (const stage of ['Q0', 'Q1', 'Q2', 'Q3', 'Q4', 'QUALIFIED', 'STALLED']) {
    t.equal(await page.locator(`#funnel [data-stage="${stage}"]`).textContent(), String(counts.by_stage[stage]), `funnel ${stage}`)
  }
  await page.screenshot({ path: `${ARTIFACTS}/dashboard.png` })

  // Cursor pages: the second page continues the first, the first comes back.
  const first = await rowIds(page)
  await page.click('#next')
  await page.locator('#range', { hasText: `21–40 of ${SELLERS}` }).waitFor()
  const second = await rowIds(page)
  t.equal(second.filter((id) => first.includes(id)).length, 0, 'page 2 repeats nothing of page 1')
  await page.click('#prev')
  await page.locator('#range', { hasText: `1–20 of ${SELLERS}` }).waitFor()
  t.same(await rowIds(page), first, 'back to page 1')

  // A filter: the rows are the listing's for it.
  await page.selectOption('select[name=temperature]', 'HOT')
  const hot = JSON.parse((await ctx.app.inject({ url: '/seller/active?temperature=HOT&page_size=20' })).body)
  await page.locator('#range', { hasText: `of ${hot.total_count}` }).waitFor()
  t.same(await rowIds(page), hot.conversations.map((c: { contact_id: string }) => c.contact_id), 'the HOT rows, in the listing\'s order')
  await page.screenshot({ path: `${ARTIFACTS}/dashboard-filtered.png` })
  await page.selectOption('select[name=temperature]', '')
  await page.locator('#range', { hasText: `1–20 of ${SELLERS}` }).waitFor()
  await page.locator('#connection', { hasText: 'Live' }).waitFor()

  // Live: a PUT appears within a second, an update moves it, a DELETE removes it.
  const now = new Date().toISOString().replace('Z', '000')
  const put = performance.now()
  t.equal((await putState(ctx.app, 'live-1', botState({ contact_id: 'live-1', seller_name: 'Live Seller', last_interaction: now }))).statusCode, 201)
  await page.locator('#rows tr[data-contact-id="live-1"]').waitFor({ timeout: 1000 })
  t.pass(`the new conversation appeared in the table ${Math.round(performance.now() - put)} ms after its PUT`)
  t.same((await rowIds(page))[0], 'live-1', 'at the top: the most recent activity')
  await putState(ctx.app, 'live-1', botState({ contact_id: 'live-1', seller_name: 'Live Seller', stage: 'Q4', last_interaction: now }))
  await page.locator('#rows tr[data-contact-id="live-1"] .badge', { hasText: 'Q4' }).waitFor({ timeout: 1000 })
  await page.screenshot({ path: `${ARTIFACTS}/dashboard-live.png` })
  await deleteState(ctx.app, 'live-1')
  await page.locator('#rows tr[data-contact-id="live-1"]').waitFor({ state: 'detached', timeout: 1000 })
  t.pass('the deleted conversation left the table')

  t.same(errors, [], 'no script errors, no CSP violations, nothing missing')

  // The feed drops and cannot come back for a while: the page says so; once it can, it catches
  // up with what it missed.
  await page.route('**/seller/active/events**', async (route) => await route.abort())
  for (const socket of sockets) socket.destroy()
  await page.locator('#connection', { hasText: 'Disconnected' }).waitFor()
  await page.screenshot({ path: `${ARTIFACTS}/dashboard-disconnected.png` })
  await putState(ctx.app, 'missed-1', botState({ contact_id: 'missed-1', seller_name: 'Missed While Away', last_interaction: new Date().toISOString().replace('Z', '000') }))
  await page.unroute('**/seller/active/events**')
  await page.locator('#connection', { hasText: 'Live' }).waitFor({ timeout: 15000 })
  await page.locator('#rows tr[data-contact-id="missed-1"]').waitFor({ timeout: 5000 })
  t.pass('the write made while disconnected is in the table after reconnecting')
})

t.test('with access control on, the page asks for a read token and keeps it for the tab only', async (t) => {
  const ctx = await seeded(t, { API_KEYS: `write:write-token-0123456789abcdef,read:${READ}` })
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
  t.teardown(() => page.close())
  const requests: string[] = []
  page.on('request', (request) => requests.push(request.url()))
  await page.goto(`${ctx.url}/dashboard`)
  await page.locator('#token-dialog[open]').waitFor()
  await page.screenshot({ path: `${ARTIFACTS}/dashboard-token.png` })
  await page.fill('#token', 'not-the-token-0123456789')
  await page.click('#token-dialog button[type=submit]')
  await page.locator('#token-error', { hasText: 'refused' }).waitFor()
  t.pass('a wrong token is refused and asked for again')
  await page.fill('#token', READ)
  await page.click('#token-dialog button[type=submit]')
  await page.locator('#rows tr').nth(19).waitFor()
  await page.locator('#connection', { hasText: 'Live' }).waitFor()
  t.equal(await page.locator('#tile-total').textContent(), String(SELLERS))
  t.equal(await page.evaluate('sessionStorage.getItem("seller-state-read-token")'), READ, 'kept in sessionStorage')
  t.equal(await page.evaluate('localStorage.length'), 0, 'not in localStorage')
  t.notOk(requests.some((url) => url.includes(READ)), 'never in a URL')
  await putState(ctx.app, 'live-2', botState({ contact_id: 'live-2', last_interaction: new Date().toISOString().replace('Z', '000') }), { authorization: 'Bearer write-token-0123456789abcdef' })
  await page.locator('#rows tr[data-contact-id="live-2"]').waitFor({ timeout: 1000 })
  t.pass('the feed follows with the token')
})
