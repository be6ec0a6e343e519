/**
 * The chart people look at first: listing p50 against the number of active contacts, log-log,
 * one line per service case and one per variant of the prototype's algorithm. Hand-built SVG.
 */
import type { Results } from './report.js'

interface Series { label: string, color: string, dashed: boolean, points: Array<[number, number]> }

const WIDTH = 1000
const HEIGHT = 560
const PLOT = { left: 80, right: 640, top: 70, bottom: 480 }
const SERVICE_COLORS = ['#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b']
const PROTOTYPE_COLORS = ['#d62728', '#e377c2']
const TARGET_MS = 20

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const label = (n: number): string => n >= 1000 ? `${n / 1000}k` : String(n)
const msLabel = (v: number): string => v >= 1 ? String(v) : v.toPrecision(1)

function series (results: Results): Series[] {
  const cases = [...new Set(results.listing.map((row) => row.case))]
  const service = cases.map((name, i): Series => ({
    label: `service: ${name === 'summary' ? 'summary' : name === 'unfiltered' ? 'listing, unfiltered' : `listing, ${name}`}`,
    color: SERVICE_COLORS[i % SERVICE_COLORS.length] as string,
    dashed: false,
    points: results.listing.filter((row) => row.case === name).map((row) => [row.n, row.stats.p50])
  }))
  const variants = [...new Set(results.prototype.map((row) => row.variant))]
  const prototype = variants.map((variant, i): Series => ({
    label: `prototype algorithm, ${variant} GETs`,
    color: PROTOTYPE_COLORS[i % PROTOTYPE_COLORS.length] as string,
    dashed: true,
    points: results.prototype.filter((row) => row.variant === variant).map((row) => [row.n, row.stats.p50])
  }))
  return [...service, ...prototype]
}

export function listingChart (results: Results): string {
  const all = series(results)
  const values = all.flatMap((s) => s.points.map(([, v]) => v)).filter((v) => v > 0 && Number.isFinite(v))
  const ns = all.flatMap((s) => s.points.map(([n]) => n))
  const yMin = Math.floor(Math.log10(Math.min(...values, TARGET_MS)))
  const yMax = Math.ceil(Math.log10(Math.max(...values, TARGET_MS)))
  const xMin = Math.log10(Math.min(...ns)) - 0.15
  const xMax = Math.log10(Math.max(...ns)) + 0.15
  const x = (n: number): number => PLOT.left + (Math.log10(n) - xMin) / (xMax - xMin) * (PLOT.right - PLOT.left)
  const y = (v: number): number => PLOT.bottom - (Math.log10(Math.max(v, 10 ** yMin)) - yMin) / (yMax - yMin) * (PLOT.bottom - PLOT.top)
  const out: string[] = []
  const add = (svg: string): void => { out.push(svg) }

  add(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="Helvetica, Arial, sans-serif" font-size="13">`)
  add(`<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`)
  add(`<text x="${PLOT.left}" y="28" font-size="17" font-weight="bold">Listing a page of 50: p50 latency against active contacts</text>`)
  add(`<text x="${PLOT.left}" y="50" fill="#555">${escape(`${results.date.slice(0, 10)}, ${results.cpu}, ${results.cores} cores, Node ${results.node}; ${results.settings.listingConnections} connection(s); log-log`)}</text>`)

  // Horizontal grid, decades labelled, 2 and 5 in between unlabelled.
  for (let decade = yMin; decade <= yMax; decade++) {
    for (const step of [1, 2, 5]) {
      const v = step * 10 ** decade
      if (Math.log10(v) > yMax + 1e-9) continue
      const major = step === 1
      add(`<line x1="${PLOT.left}" x2="${PLOT.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="${major ? '#cccccc' : '#eeeeee'}"/>`)
      if (major) add(`<text x="${PLOT.left - 8}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${msLabel(v)}</text>`)
    }
  }
  for (const n of [...new Set(ns)].sort((a, b) => a - b)) {
    add(`<line x1="${x(n).toFixed(1)}" x2="${x(n).toFixed(1)}" y1="${PLOT.top}" y2="${PLOT.bottom}" stroke="#dddddd"/>`)
    add(`<text x="${x(n).toFixed(1)}" y="${PLOT.bottom + 20}" text-anchor="middle">${label(n)}</text>`)
  }
  add(`<line x1="${PLOT.left}" x2="${PLOT.right}" y1="${PLOT.bottom}" y2="${PLOT.bottom}" stroke="#333"/>`)
  add(`<line x1="${PLOT.left}" x2="${PLOT.left}" y1="${PLOT.top}" y2="${PLOT.bottom}" stroke="#333"/>`)
  add(`<text x="${(PLOT.left + PLOT.right) / 2}" y="${PLOT.bottom + 45}" text-anchor="middle">active contacts (log scale)</text>`)
  add(`<text transform="translate(24 ${(PLOT.top + PLOT.bottom) / 2}) rotate(-90)" text-anchor="middle">p50 latency per request, ms (log scale)</text>`)

  // The issue's target for a page at 100,000 contacts.
  add(`<line x1="${PLOT.left}" x2="${PLOT.right}" y1="${y(TARGET_MS).toFixed(1)}" y2="${y(TARGET_MS).toFixed(1)}" stroke="#888" stroke-dasharray="2 4"/>`)
  add(`<text x="${PLOT.right - 4}" y="${(y(TARGET_MS) - 5).toFixed(1)}" text-anchor="end" fill="#666">target: 20 ms</text>`)

  all.forEach((s, index) => {
    const points = s.points.filter(([, v]) => Number.isFinite(v))
    const path = points.map(([n, v]) => `${x(n).toFixed(1)},${y(v).toFixed(1)}`).join(' ')
    add(`<polyline points="${path}" fill="none" stroke="${s.color}" stroke-width="2.2"${s.dashed ? ' stroke-dasharray="7 4"' : ''}/>`)
    // A case that failed at some N (an error answer, no latency) is a cross on the top edge,
    // shifted a little per line so that several stay apart.
    for (const [n] of s.points.filter(([, v]) => !Number.isFinite(v))) {
      const [cx, cy] = [x(n) + (index - (all.length - 1) / 2) * 4, PLOT.top + 10]
      const d = `M${(cx - 5).toFixed(1)} ${cy - 5}L${(cx + 5).toFixed(1)} ${cy + 5}M${(cx - 5).toFixed(1)} ${cy + 5}L${(cx + 5).toFixed(1)} ${cy - 5}`
      add(`<path d="${d}" stroke="${s.color}" stroke-width="2"><title>${escape(`${s.label} at ${label(n)}: failed, see the table`)}</title></path>`)
    }
    for (const [n, v] of points) {
      const [cx, cy] = [x(n).toFixed(1), y(v).toFixed(1)]
      add(s.dashed
        ? `<rect x="${Number(cx) - 4}" y="${Number(cy) - 4}" width="8" height="8" fill="${s.color}"><title>${escape(`${s.label} at ${label(n)}: ${v.toFixed(2)} ms`)}</title></rect>`
        : `<circle cx="${cx}" cy="${cy}" r="4" fill="${s.color}"><title>${escape(`${s.label} at ${label(n)}: ${v.toFixed(2)} ms`)}</title></circle>`)
    }
  })

  // Legend, with each line's value at the largest N it was measured at.
  add(`<text x="${PLOT.right + 20}" y="${PLOT.top + 4}" font-weight="bold">p50 at the largest N measured</text>`)
  all.forEach((s, i) => {
    const top = PLOT.top + 24 + i * 40
    const last = [...s.points].reverse().find(([, v]) => Number.isFinite(v))
    const failed = s.points.filter(([, v]) => !Number.isFinite(v)).map(([n]) => label(n))
    add(`<line x1="${PLOT.right + 20}" x2="${PLOT.right + 48}" y1="${top}" y2="${top}" stroke="${s.color}" stroke-width="2.2"${s.dashed ? ' stroke-dasharray="7 4"' : ''}/>`)
    add(`<text x="${PLOT.right + 56}" y="${top + 4}">${escape(s.label)}</text>`)
    const note = [last === undefined ? '' : `${last[1].toFixed(2)} ms at ${label(last[0])}`, failed.length > 0 ? `failed at ${failed.join(', ')} (x)` : '']
    add(`<text x="${PLOT.right + 56}" y="${top + 20}" fill="#555">${escape(note.filter(Boolean).join('; '))}</text>`)
  })
  add('</svg>')
  return out.join('\n') + '\n'
}
