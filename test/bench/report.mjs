// Plain-text tables for the console. The JSON file holds every sample; these hold the summary.

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })

export const formatRate = (eventsPerSec) => integer.format(eventsPerSec)
export const formatBytes = (bytes) => `${integer.format(bytes)} B`
export const formatKiB = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`
export const formatRatio = (ratio) => `${ratio.toFixed(2)}x`

/** Renders rows (arrays of strings) under headers; columns listed in `right` are right-aligned. */
export function table(headers, rows, right = []) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  const line = (cells) =>
    cells
      .map((cell, i) => (right.includes(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd()
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

/** Summarises a case's samples: the median rate, and the spread so noise is visible. */
export function summarise(samples) {
  const rates = samples.map((s) => (s.events / s.ms) * 1000).sort((a, b) => a - b)
  const mid = Math.floor(rates.length / 2)
  const median = rates.length % 2 === 1 ? rates[mid] : (rates[mid - 1] + rates[mid]) / 2
  return { median, min: rates[0], max: rates[rates.length - 1] }
}

/** Brook/raw against its target: `meets`, `below`, or `—` when there is none. */
export function verdict(ratio, target) {
  if (target === undefined) return '—'
  return ratio >= target ? 'meets' : 'below'
}
