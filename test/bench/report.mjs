// Plain-text tables for the console. The JSON file holds every sample; these hold the summary.

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })

export const formatRate = (eventsPerSec) => integer.format(eventsPerSec)
export const formatBytes = (bytes) => `${integer.format(bytes)} B`
export const formatKiB = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`
export const formatRatio = (ratio) => `${ratio.toFixed(2)}x`
// Pages that are not cross-origin isolated get performance.now() in 0.1 ms steps.
export const formatMs = (ms) => (Number.isFinite(ms) ? ms.toFixed(1) : '—')

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
  return summariseValues(samples.map((s) => (s.events / s.ms) * 1000))
}

/** The median of `values`, and their extremes. */
export function summariseValues(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
  return { median, min: sorted[0], max: sorted[sorted.length - 1] }
}

/** The `p`th percentile (nearest rank) of `values`; NaN when there are none. */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b)
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]
}

/** Summarises latencies (ms): p50, p99 and the extremes. */
export function summariseLatency(values) {
  return {
    count: values.length,
    p50: percentile(values, 50),
    p99: percentile(values, 99),
    min: percentile(values, 0),
    max: percentile(values, 100),
  }
}

/** Brook/floor latency against its target, which is a ceiling: `meets` or `below`. */
export function verdictAtMost(ratio, target) {
  return ratio <= target ? 'meets' : 'below'
}

/** Brook/raw against its target: `meets`, `below`, or `—` when there is none. */
export function verdict(ratio, target) {
  if (target === undefined) return '—'
  return ratio >= target ? 'meets' : 'below'
}
