/*
 * The operations page: the listing (GET /seller/active) with its filters, sort and cursor pages,
 * the summary tiles and stage funnel (GET /seller/active/summary), kept live by the change feed
 * (GET /seller/active/events). The feed is read with fetch() rather than EventSource, which
 * cannot send an Authorization header; the token lives in sessionStorage (this tab only), never
 * in a URL.
 */
'use strict'

const STAGES = ['Q0', 'Q1', 'Q2', 'Q3', 'Q4', 'QUALIFIED', 'STALLED']
const TEMPERATURES = ['HOT', 'WARM', 'COLD']
const PAGE_SIZE = 20
const TOKEN_KEY = 'seller-state-read-token'
// After events, the page and the counts are read again at most this often (totals, order).
const REFRESH_MS = 2000

const $ = (id) => document.getElementById(id)

const view = {
  rows: [],
  total: 0,
  cursors: [null], // the cursor of each page seen so far; the last is the current page's
  nextCursor: null,
  feed: null, // AbortController of the open feed
  lastEventId: null,
  refreshTimer: null,
  live: false, // the feed is open and caught up
  changes: [] // the latest events, newest first
}

const CHANGES_SHOWN = 8

/* ---------- token ---------- */

function token () { return sessionStorage.getItem(TOKEN_KEY) }

function askForToken (message) {
  const dialog = $('token-dialog')
  $('token-error').hidden = !message
  $('token-error').textContent = message || ''
  if (!dialog.open) dialog.showModal()
  $('token').focus()
}

class AuthError extends Error {}

async function api (path) {
  const headers = { accept: 'application/json' }
  if (token()) headers.authorization = `Bearer ${token()}`
  const response = await fetch(path, { headers })
  if (response.status === 401) throw new AuthError()
  if (!response.ok) throw new Error(`${response.status} ${(await response.json().catch(() => ({}))).message || response.statusText}`)
  return await response.json()
}

/* ---------- filters ---------- */

function filters () {
  const form = new FormData($('filters'))
  const out = {}
  for (const [name, value] of form) if (value !== '') out[name] = String(value)
  return out
}

const FEED_FILTERS = ['location_id', 'stage', 'temperature', 'stalled']

function query (params) {
  const search = new URLSearchParams()
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== null) search.set(name, value)
  return search.toString()
}

function matches (row, current) {
  if (current.location_id && row.location_id !== current.location_id) return false
  if (current.stage && row.stage !== current.stage) return false
  if (current.temperature && row.temperature !== current.temperature) return false
  if (current.stalled && String(row.is_stalled) !== current.stalled) return false
  return true
}

/* ---------- rendering ---------- */

function text (value) { return value === null || value === undefined || value === '' ? '—' : String(value) }

function ago (iso) {
  const ms = Date.now() - Date.parse(iso)
  if (!Number.isFinite(ms)) return text(iso)
  const minutes = Math.round(ms / 60000)
  if (minutes < 1) return 'just now'
  if (minutes < 60) return `${minutes} min ago`
  const hours = Math.round(minutes / 60)
  if (hours < 48) return `${hours} h ago`
  return `${Math.round(hours / 24)} d ago`
}

function cell (content, className) {
  const td = document.createElement('td')
  if (className) td.className = className
  if (content instanceof Node) td.append(content)
  else td.textContent = content
  return td
}

function badge (label, className) {
  const span = document.createElement('span')
  span.className = `badge ${className}`
  span.textContent = label
  return span
}

function rowElement (row) {
  const tr = document.createElement('tr')
  tr.dataset.contactId = row.contact_id
  const seller = document.createElement('span')
  seller.className = 'seller'
  seller.textContent = text(row.seller_name)
  const contact = document.createElement('span')
  contact.className = 'contact'
  contact.textContent = row.contact_id
  seller.append(contact)
  const status = document.createElement('span')
  if (row.is_qualified) status.append(badge('qualified', 'flag-qualified'))
  else if (row.is_stalled) status.append(badge('stalled', 'flag-stalled'))
  else {
    status.className = 'muted'
    status.textContent = 'in progress'
  }
  const last = cell(ago(row.last_activity), 'muted')
  last.title = row.last_activity
  tr.append(
    cell(seller),
    cell(text(row.property_address), 'address'),
    cell(row.location_id, 'muted'),
    cell(badge(row.stage, `stage-${row.stage}`)),
    cell(badge(row.temperature, `temp-${row.temperature}`)),
    cell(`${row.questions_answered}/4`, 'num'),
    last,
    cell(status)
  )
  return tr
}

function renderRows (changed = new Set()) {
  const body = $('rows')
  body.replaceChildren(...view.rows.map((row) => {
    const tr = rowElement(row)
    if (changed.has(row.contact_id)) tr.className = 'changed'
    return tr
  }))
  $('empty').hidden = view.rows.length > 0
  const page = view.cursors.length
  const first = (page - 1) * PAGE_SIZE + (view.rows.length > 0 ? 1 : 0)
  const last = (page - 1) * PAGE_SIZE + view.rows.length
  $('range').textContent = view.total === 0 ? 'No conversations' : `${first}–${last} of ${view.total}`
  $('prev').disabled = page <= 1
  $('next').disabled = view.nextCursor === null
}

const SVG = 'http://www.w3.org/2000/svg'

function svg (name, attributes, content) {
  const element = document.createElementNS(SVG, name)
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value))
  if (content !== undefined) element.textContent = content
  return element
}

function renderSummary (summary) {
  $('tile-total').textContent = summary.total
  $('tile-qualified').textContent = summary.qualified
  $('tile-stalled').textContent = summary.stalled
  for (const temperature of TEMPERATURES) $(`tile-${temperature}`).textContent = summary.by_temperature[temperature]

  const chart = $('funnel')
  const max = Math.max(1, ...STAGES.map((stage) => summary.by_stage[stage]))
  const parts = []
  STAGES.forEach((stage, i) => {
    const y = i * 34
    const width = Math.round(200 * summary.by_stage[stage] / max)
    parts.push(
      svg('text', { x: 0, y: y + 17 }, stage === 'QUALIFIED' ? 'Qualified' : stage === 'STALLED' ? 'Stalled' : stage),
      svg('rect', { class: 'track', x: 76, y: y + 4, width: 200, height: 20, rx: 4 }),
      svg('rect', { class: `bar bar-${stage}`, x: 76, y: y + 4, width: Math.max(width, summary.by_stage[stage] > 0 ? 3 : 0), height: 20, rx: 4 }),
      svg('text', { class: 'count', x: 284, y: y + 18, 'data-stage': stage }, summary.by_stage[stage])
    )
  })
  chart.replaceChildren(...parts)
}

function describe (event) {
  const known = view.rows.find((row) => row.contact_id === event.contact_id)
  const name = event.row.seller_name || known?.seller_name || event.contact_id
  const what = {
    created: 'new conversation',
    updated: event.previous && event.previous.stage !== event.row.stage ? `${event.previous.stage} → ${event.row.stage}` : `updated (${event.row.stage})`,
    deleted: 'deleted',
    expired: 'expired'
  }[event.kind]
  return { name, what }
}

function renderChanges () {
  $('changes').replaceChildren(...view.changes.map(({ kind, name, what, at }) => {
    const li = document.createElement('li')
    const left = document.createElement('span')
    left.className = 'change-what'
    const strong = document.createElement('span')
    strong.className = `kind kind-${kind}`
    strong.textContent = what
    left.append(`${name} · `, strong)
    const when = document.createElement('span')
    when.className = 'change-when'
    when.textContent = ago(new Date(at).toISOString())
    li.append(left, when)
    return li
  }))
}

function setConnection (state, label) {
  const pill = $('connection')
  pill.className = `pill pill-${state}`
  pill.textContent = label
}

/* ---------- loading ---------- */

async function loadPage () {
  const current = filters()
  const cursor = view.cursors[view.cursors.length - 1]
  const page = await api(`/seller/active?${query({ ...current, page_size: PAGE_SIZE, cursor: cursor ?? undefined })}`)
  view.rows = page.conversations
  view.total = page.total_count
  view.nextCursor = page.next_cursor
  renderRows()
}

async function loadSummary () {
  const current = filters()
  renderSummary(await api(`/seller/active/summary?${query({ location_id: current.location_id })}`))
}

async function reload () {
  try {
    await Promise.all([loadPage(), loadSummary()])
    if (view.live) setConnection('live', 'Live')
  } catch (err) {
    if (err instanceof AuthError) askForToken(token() ? 'That token was refused.' : '')
    else setConnection('down', `Error: ${err.message}`)
    throw err
  }
}

function refreshSoon () {
  if (view.refreshTimer !== null) return
  view.refreshTimer = setTimeout(() => {
    view.refreshTimer = null
    reload().catch(() => {})
  }, REFRESH_MS)
}

/* ---------- live feed ---------- */

const RANK = {
  stage: (row) => STAGES.indexOf(row.stage),
  temperature: (row) => TEMPERATURES.length - TEMPERATURES.indexOf(row.temperature)
}

function compareRows (a, b) {
  const { sort = 'last_activity', order = 'desc' } = filters()
  const direction = order === 'asc' ? 1 : -1
  const activity = (row) => Date.parse(row.last_activity)
  if (sort === 'stage' || sort === 'temperature') {
    return direction * (RANK[sort](a) - RANK[sort](b)) || activity(b) - activity(a)
  }
  const value = sort === 'last_activity' ? activity : (row) => Date.parse(row.conversation_started)
  return direction * (value(a) - value(b))
}

function apply (event) {
  view.changes = [{ kind: event.kind, ...describe(event), at: Date.now() }, ...view.changes].slice(0, CHANGES_SHOWN)
  renderChanges()
  const current = filters()
  const index = view.rows.findIndex((row) => row.contact_id === event.contact_id)
  const stays = (event.kind === 'created' || event.kind === 'updated') && matches(event.row, current)
  if (stays) {
    if (index >= 0) view.rows[index] = event.row
    else view.rows.push(event.row)
    view.rows.sort(compareRows)
    view.rows = view.rows.slice(0, PAGE_SIZE)
  } else if (index >= 0) {
    view.rows.splice(index, 1)
  }
  if (stays && index < 0) view.total += 1
  if (!stays && index >= 0) view.total -= 1
  renderRows(new Set(stays ? [event.contact_id] : []))
  refreshSoon()
}

function parseBlock (block) {
  const event = { id: null, event: 'message', data: '' }
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
    if (field === 'id') event.id = value
    else if (field === 'event') event.event = value
    else if (field === 'data') event.data += (event.data ? '\n' : '') + value
  }
  return event
}

async function readFeed (controller) {
  const current = filters()
  const feedFilters = Object.fromEntries(FEED_FILTERS.filter((name) => current[name]).map((name) => [name, current[name]]))
  const headers = { accept: 'text/event-stream' }
  if (token()) headers.authorization = `Bearer ${token()}`
  if (view.lastEventId) headers['last-event-id'] = view.lastEventId
  const response = await fetch(`/seller/active/events?${query(feedFilters)}`, { headers, signal: controller.signal, cache: 'no-store' })
  if (response.status === 401) throw new AuthError()
  if (!response.ok || response.body === null) throw new Error(`feed answered ${response.status}`)
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  let caughtUp = false
  for (;;) {
    const { value, done } = await reader.read()
    if (done) return
    buffer += value.replace(/\r\n?/g, '\n')
    let end
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const message = parseBlock(buffer.slice(0, end))
      buffer = buffer.slice(end + 2)
      if (!caughtUp) {
        caughtUp = true
        view.live = true
        setConnection('live', 'Live')
      }
      if (message.id) view.lastEventId = message.id
      if (message.event === 'reset') await reload().catch(() => {})
      else if (['created', 'updated', 'deleted', 'expired'].includes(message.event)) apply(JSON.parse(message.data))
    }
  }
}

async function follow () {
  view.feed?.abort()
  view.live = false
  const controller = new AbortController()
  view.feed = controller
  let delay = 1000
  while (!controller.signal.aborted) {
    const opened = Date.now()
    try {
      await readFeed(controller)
    } catch (err) {
      if (controller.signal.aborted) return
      if (err instanceof AuthError) {
        setConnection('down', 'Token needed')
        askForToken(token() ? 'That token was refused.' : '')
        return
      }
    }
    view.live = false
    if (controller.signal.aborted) return
    setConnection('down', 'Disconnected — reconnecting…')
    if (Date.now() - opened > 10000) delay = 1000
    await new Promise((resolve) => setTimeout(resolve, delay))
    delay = Math.min(delay * 2, 10000)
    // Caught up by Last-Event-ID; the page and counts are read again for what time changed.
    refreshSoon()
  }
}

/** Filters changed (or first load): the feed starts afresh, then the first page is read. */
async function start () {
  view.cursors = [null]
  view.lastEventId = null
  setConnection('idle', 'Connecting…')
  follow()
  await reload().catch(() => {})
}

/* ---------- wiring ---------- */

function init () {
  $('filters').addEventListener('change', () => {
    if ($('filters').checkValidity()) start()
  })
  $('filters').addEventListener('submit', (event) => event.preventDefault())
  $('next').addEventListener('click', () => {
    if (view.nextCursor === null) return
    view.cursors.push(view.nextCursor)
    loadPage().catch(() => {})
  })
  $('prev').addEventListener('click', () => {
    if (view.cursors.length <= 1) return
    view.cursors.pop()
    loadPage().catch(() => {})
  })
  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault()
    sessionStorage.setItem(TOKEN_KEY, $('token').value.trim())
    $('token').value = ''
    $('token-dialog').close()
    $('sign-out').hidden = false
    start()
  })
  $('sign-out').hidden = token() === null
  $('sign-out').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY)
    view.feed?.abort()
    $('sign-out').hidden = true
    setConnection('down', 'Token needed')
    askForToken('')
  })
  // "3 min ago" stays true without events.
  setInterval(() => {
    renderRows()
    if (view.changes.length > 0) renderChanges()
  }, 30000)
  start()
}

init()
