import { svg, type SVGTemplateResult } from 'lit'

/**
 * A line chart of `values` (oldest first) in a `width` x `height` box, scaled to their own
 * range, with an optional horizontal threshold line. Plain SVG: a few dozen points per
 * device need no charting library.
 *
 * @example
 * ```ts
 * html`<svg viewBox="0 0 120 40">${sparkline([1, 3, 2], 120, 40, 2.5)}</svg>`
 * ```
 */
export function sparkline(
  values: readonly number[],
  width: number,
  height: number,
  threshold?: number,
): SVGTemplateResult {
  if (values.length === 0) return svg``
  const all = threshold === undefined ? values : [...values, threshold]
  const min = Math.min(...all)
  const max = Math.max(...all)
  const span = max - min || 1
  const x = (i: number) => (values.length === 1 ? width : (i / (values.length - 1)) * width)
  const y = (v: number) => height - 2 - ((v - min) / span) * (height - 4)
  const points = values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')
  return svg`
    ${threshold === undefined ? svg`` : svg`<line class="threshold" x1="0" x2=${width} y1=${y(threshold)} y2=${y(threshold)}></line>`}
    <polyline class="line" points=${points}></polyline>
  `
}
