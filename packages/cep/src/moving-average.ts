import { readEventTime, type Caused, type EventTimeOptions, type Operator, type Timed } from './operator.ts'
import { orderedOperator, type OrderedFold, type OrderedState } from './ordered.ts'
import { finiteNumber, fn, invalid, readOptions, wholeNumber } from './validate.ts'

/**
 * A moving average at one event: the mean of the key's values in `(time - size, time]` (or of
 * its last `count` values), taken in event-time order.
 *
 * @example
 * ```ts
 * .apply(movingAverage({ value: (e) => e.data.value, size: 60_000 })).emit((m: MovingAverage) => ...)
 * ```
 */
export interface MovingAverage {
  key: string
  /** Event time of the event this average is taken at. */
  time: number
  /** That event's own value. */
  value: number
  average: number
  /** Values averaged. */
  count: number
}

/**
 * How a moving average is taken: over `size` ms of event time, or over the last `count` values.
 *
 * @example
 * ```ts
 * const o: MovingAverageOptions<Reading> = { value: (e) => e.data.value, size: 60_000, outOfOrder: 2_000 }
 * ```
 */
export type MovingAverageOptions<T> = EventTimeOptions<T> & { value: (item: T) => number } & (
    { size: number; count?: undefined } | { count: number; size?: undefined }
  )

/** A queued value: time, value, cause. */
export type QueuedValue = [time: number, value: number, id: string, correlationId: string]

/** The averaging window: `[time, value]` pairs, oldest first. */
export interface Averaging {
  v: [time: number, value: number][]
}

/** A validated averaging definition. */
export interface AveragingSpec<T> {
  value: (item: T) => number
  size: number | undefined
  count: number | undefined
}

/** Options shared by the averaging operators. */
export const AVERAGING_OPTIONS = ['value', 'size', 'count', 'time', 'outOfOrder']

/**
 * Reads `value` and exactly one of `size` or `count`.
 *
 * @example
 * ```ts
 * const spec = readAveragingSpec(o, 'movingAverage')
 * ```
 */
export function readAveragingSpec<T>(o: Record<string, unknown>, path: string): AveragingSpec<T> {
  if ((o['size'] === undefined) === (o['count'] === undefined)) {
    throw invalid(path, 'needs exactly one of size (ms of event time) or count (last N values)')
  }
  return {
    value: fn<(item: T) => number>(o['value'], `${path}.value`),
    size: o['size'] === undefined ? undefined : wholeNumber(o['size'], `${path}.size`, 1),
    count: o['count'] === undefined ? undefined : wholeNumber(o['count'], `${path}.count`, 1),
  }
}

/** Adds one value to the window and returns the new window with its mean. */
function slide<T>(spec: AveragingSpec<T>, win: Averaging, time: number, value: number) {
  let v = [...win.v, [time, value] as [number, number]]
  if (spec.size !== undefined) v = v.filter(([t]) => t > time - (spec.size as number))
  else if (v.length > (spec.count as number)) v = v.slice(v.length - (spec.count as number))
  // Summed afresh rather than kept as a running total, so rounding never drifts over a long run.
  const average = v.reduce((s, [, x]) => s + x, 0) / v.length
  return { v, average }
}

/**
 * Builds an ordered operator whose fold keeps an averaging window plus `extra` state.
 *
 * @example
 * ```ts
 * const op = averagingOperator('movingAverage', o, {}, (extra, m) => ({ extra, outputs: [m] }))
 * ```
 */
export function averagingOperator<T, X, Out>(
  kind: string,
  options: Record<string, unknown>,
  spec: AveragingSpec<T>,
  extra: X,
  onAverage: (x: X, m: MovingAverage) => { x: X; outputs: Out[] },
  idle: (x: X) => boolean,
): Operator<T, Out, OrderedState<QueuedValue, Averaging & { x: X }>> {
  const value = (item: T) => finiteNumber(spec.value(item), `${kind}: value(item)`)
  const toEntry = (input: Timed<T>): QueuedValue => [
    input.time,
    value(input.value),
    input.cause.id,
    input.cause.correlationId,
  ]
  const fold: OrderedFold<QueuedValue, Averaging & { x: X }, Out> = {
    initial: () => ({ v: [], x: extra }),
    until(f, time) {
      // Time windows only: values at or before time - size are in no future window.
      if (spec.size === undefined || f.v.length === 0 || (f.v[0] as [number, number])[0] > time - spec.size) {
        return { fold: f, outputs: [] }
      }
      return { fold: { v: f.v.filter(([t]) => t > time - (spec.size as number)), x: f.x }, outputs: [] }
    },
    take(f, [time, v, id, correlationId], key) {
      const next = slide(spec, f, time, v)
      const m: MovingAverage = { key, time, value: v, average: next.average, count: next.v.length }
      const r = onAverage(f.x, m)
      const cause = { id, correlationId }
      return { fold: { v: next.v, x: r.x }, outputs: r.outputs.map((o): Caused<Out> => ({ value: o, cause })) }
    },
    wakeAt: (f) => (spec.size === undefined || f.v[0] === undefined ? undefined : f.v[0][0] + spec.size),
    isIdle: (f) => f.v.length === 0 && idle(f.x),
  }
  return orderedOperator(kind, readEventTime<T>(options, kind), toEntry, fold)
}

/**
 * A moving average per key, one result per event, in event-time order: over the values in the
 * last `size` ms of event time `(t - size, t]`, or over the last `count` values. An event
 * arriving after the watermark passed its time is late.
 *
 * @example
 * ```ts
 * pipeline('smoothed')
 *   .from({ types: ['Reading'] })
 *   .keyBy((e) => e.stream)
 *   .apply(movingAverage({ value: (e: Reading) => e.data.value, size: 60_000, outOfOrder: 2_000 }))
 *   .emit((m) => ({ stream: `smoothed-${m.key}`, type: 'Smoothed', data: { at: m.time, value: m.average } }))
 * ```
 */
export function movingAverage<T = unknown>(options: MovingAverageOptions<T>): Operator<T, MovingAverage> {
  const o = readOptions(options, 'movingAverage', AVERAGING_OPTIONS)
  const spec = readAveragingSpec<T>(o, 'movingAverage')
  return averagingOperator(
    'movingAverage',
    o,
    spec,
    0,
    (x, m) => ({ x, outputs: [m] }),
    () => true,
  )
}
