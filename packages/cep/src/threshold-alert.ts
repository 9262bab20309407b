import { AVERAGING_OPTIONS, averagingOperator, readAveragingSpec, type MovingAverageOptions } from './moving-average.ts'
import type { Operator } from './operator.ts'
import { finiteNumber, invalid, readOptions } from './validate.ts'

/**
 * A moving average crossed its threshold: `'raised'` when it went over `above` (or under
 * `below`), `'cleared'` when it came back to `clearAt`.
 *
 * @example
 * ```ts
 * .emit((a: ThresholdCrossing) => ({ stream: `alerts-${a.key}`, type: a.state === 'raised' ? 'TooHot' : 'CooledDown', data: { ...a } }))
 * ```
 */
export interface ThresholdCrossing {
  key: string
  state: 'raised' | 'cleared'
  /** Event time of the event whose average crossed. */
  time: number
  average: number
  /** Values averaged. */
  count: number
  /** The level crossed: `above`/`below` when raised, `clearAt` when cleared. */
  threshold: number
}

/**
 * A threshold alert: a moving average (see {@link movingAverage}) and exactly one of `above` or `below`.
 *
 * @example
 * ```ts
 * const o: ThresholdAlertOptions<Reading> = { value: (e) => e.data.value, count: 3, below: 10, clearAt: 12 }
 * ```
 */
export type ThresholdAlertOptions<T> = MovingAverageOptions<T> &
  ({ above: number; below?: undefined } | { below: number; above?: undefined }) & {
    /**
     * Where a raised alert clears (hysteresis against flapping). Default: the threshold itself,
     * i.e. `average <= above` (or `average >= below`).
     */
    clearAt?: number
  }

/**
 * Alerts when a key's moving average crosses a threshold, not on every value beyond it: one
 * `'raised'` when the average goes over `above` (from at or under it; a key starts under it),
 * then one `'cleared'` when it comes back to `clearAt`, and so on. With `below`, mirrored.
 *
 * @example
 * ```ts
 * pipeline('overheating')
 *   .from({ types: ['Reading'] })
 *   .keyBy((e) => e.stream)
 *   .apply(thresholdAlert({ value: (e: Reading) => e.data.celsius, size: 60_000, above: 80, clearAt: 75 }))
 *   .emit((a) => ({ stream: `alerts-${a.key}`, type: a.state === 'raised' ? 'Overheating' : 'BackToNormal', data: a }))
 * ```
 */
export function thresholdAlert<T = unknown>(options: ThresholdAlertOptions<T>): Operator<T, ThresholdCrossing> {
  const o = readOptions(options, 'thresholdAlert', [...AVERAGING_OPTIONS, 'above', 'below', 'clearAt'])
  const spec = readAveragingSpec<T>(o, 'thresholdAlert')
  const above = finiteNumber(o['above'], 'thresholdAlert.above', true)
  const below = finiteNumber(o['below'], 'thresholdAlert.below', true)
  if ((above === undefined) === (below === undefined))
    throw invalid('thresholdAlert', 'needs exactly one of above or below')
  const up = above !== undefined
  const level = (above ?? below) as number
  const clearAt = finiteNumber(o['clearAt'], 'thresholdAlert.clearAt', true) ?? level
  if (up ? clearAt > level : clearAt < level) {
    throw invalid(
      'thresholdAlert.clearAt',
      `must be ${up ? 'at most above' : 'at least below'} (${level}), got ${clearAt}`,
    )
  }
  const beyond = (avg: number) => (up ? avg > level : avg < level)
  const back = (avg: number) => (up ? avg <= clearAt : avg >= clearAt)
  return averagingOperator<T, boolean, ThresholdCrossing>(
    'thresholdAlert',
    o,
    spec,
    false,
    (raised, m) => {
      const crossing = (state: ThresholdCrossing['state'], threshold: number): ThresholdCrossing => ({
        key: m.key,
        state,
        time: m.time,
        average: m.average,
        count: m.count,
        threshold,
      })
      if (!raised && beyond(m.average)) return { x: true, outputs: [crossing('raised', level)] }
      if (raised && back(m.average)) return { x: false, outputs: [crossing('cleared', clearAt)] }
      return { x: raised, outputs: [] }
    },
    // A raised alert must be remembered, or the next value beyond would raise it twice.
    (raised) => !raised,
  )
}
