import type { RecordedEvent } from '@brook/core'
import { finiteNumber, fn, wholeNumber } from './validate.ts'

/**
 * The event a derived event comes from: becomes its `meta.causationId` and `meta.correlationId`.
 *
 * @example
 * ```ts
 * const cause: Cause = { id: event.id, correlationId: event.id }
 * ```
 */
export interface Cause {
  readonly id: string
  readonly correlationId: string
}

/**
 * One item on its way into an {@link Operator}: its key, its event time and its cause.
 *
 * @example
 * ```ts
 * const input: Timed<number> = { key: 'dev-1', time: 1_000, value: 21.5, cause }
 * ```
 */
export interface Timed<T> {
  readonly key: string
  readonly time: number
  readonly value: T
  readonly cause: Cause
}

/**
 * An operator's output with the event that caused it.
 *
 * @example
 * ```ts
 * for (const { value, cause } of step.outputs) console.log(value, cause.id)
 * ```
 */
export interface Caused<T> {
  readonly value: T
  readonly cause: Cause
}

/**
 * What an operator returns: its next state (JSON), its outputs in order, and whether the input
 * was late (then the state is unchanged and the caller sends the input to the late output).
 *
 * @example
 * ```ts
 * const { state, outputs, late } = op.step(op.initial(), input, Number.NEGATIVE_INFINITY)
 * ```
 */
export interface Step<S, Out> {
  readonly state: S
  readonly outputs: readonly Caused<Out>[]
  readonly late?: boolean
}

/**
 * How an operator reads event time: `time(item, event)` (default: the event's own `time`), and
 * the watermark's allowed out-of-orderness. The watermark is the greatest event time seen
 * minus `outOfOrder`; it says "every event earlier than this has arrived".
 *
 * @example
 * ```ts
 * const clock: EventTime<RecordedEvent<'Reading', { at: number }>> = { time: (e) => e.data.at, outOfOrder: 2_000 }
 * ```
 */
export interface EventTime<T> {
  readonly time: (item: T, event: RecordedEvent) => number
  readonly outOfOrder: number
}

/**
 * A keyed, event-time operator as pure functions over JSON state. One state per key; the
 * watermark is shared by all keys and passed in. Nothing here reads a clock: time is event time.
 *
 * - `step(state, input, watermark)` takes one item that arrives while the watermark is
 *   `watermark` (before the item itself moves it). Work due at `watermark` is already done.
 * - `wakeAt(state, watermark)`: the least watermark above `watermark` at which `advance` has
 *   work, or `undefined`.
 * - `advance(state, watermark, key, from)` does the work due in `[from, watermark]`, where
 *   `from` is the `wakeAt` it was woken for. It returns `state` itself when nothing needs
 *   storing: a window fired on time is implied by the watermark having passed its end, so
 *   firing it writes nothing, and a key whose windows merely fire costs no write.
 * - `isIdle(state)`: the state holds nothing worth keeping and may be deleted.
 *
 * @example
 * ```ts
 * const op = windowOperator(tumbling({ size: 60_000 }), count())
 * const { state } = op.step(op.initial(), { key: 'a', time: 10, value: event, cause }, Number.NEGATIVE_INFINITY)
 * const from = op.wakeAt(state, Number.NEGATIVE_INFINITY) ?? Number.POSITIVE_INFINITY // 60_000
 * op.advance(state, 60_000, 'a', from).outputs // the window [0, 60000) with count 1
 * ```
 */
export interface Operator<In, Out, S = unknown> {
  readonly kind: string
  readonly eventTime: EventTime<In>
  initial(): S
  step(state: S, input: Timed<In>, watermark: number): Step<S, Out>
  advance(state: S, watermark: number, key: string, from: number): Step<S, Out>
  wakeAt(state: S, watermark: number): number | undefined
  isIdle(state: S): boolean
  /** Throws `VALIDATION` if the definition is incomplete; called when the operator joins a pipeline. */
  validate?(): void
}

/**
 * Options every event-time operator accepts.
 *
 * @example
 * ```ts
 * const o: EventTimeOptions<Reading> = { time: (e) => e.data.at, outOfOrder: 2_000 }
 * ```
 */
export interface EventTimeOptions<T> {
  /** The item's event time in ms. Default: the recorded event's `time`. */
  time?: (item: T, event: RecordedEvent) => number
  /** How far behind the latest event time an event may arrive and still count as on time (ms, default 0). */
  outOfOrder?: number
}

const recordedTime = (_item: unknown, event: RecordedEvent) => event.time

/**
 * Reads `time` and `outOfOrder` from validated options.
 *
 * @example
 * ```ts
 * const clock = readEventTime(o, 'tumbling')
 * ```
 */
export function readEventTime<T>(o: Record<string, unknown>, path: string): EventTime<T> {
  return {
    time: fn<(item: T, event: RecordedEvent) => number>(o['time'], `${path}.time`, true) ?? recordedTime,
    outOfOrder: wholeNumber(o['outOfOrder'], `${path}.outOfOrder`, 0, 0),
  }
}

/**
 * Reads an item's event time and checks it is a finite number (a bad one fails the batch, so
 * the runner retries and then parks the event rather than corrupting windows).
 *
 * @example
 * ```ts
 * const t = timeOf(op.eventTime, item, event)
 * ```
 */
export function timeOf<T>(clock: EventTime<T>, item: T, event: RecordedEvent): number {
  return finiteNumber(clock.time(item, event), `event ${event.id} (position ${event.position}): event time`)
}

/**
 * The cause of derived events: the event itself, correlated with its own correlation id or,
 * when it starts a chain, its id.
 *
 * @example
 * ```ts
 * tx.append(stream, [{ type, data, meta: { causationId: causeOf(e).id, correlationId: causeOf(e).correlationId } }])
 * ```
 */
export function causeOf(event: RecordedEvent): Cause {
  const correlation = event.meta['correlationId']
  return { id: event.id, correlationId: typeof correlation === 'string' ? correlation : event.id }
}

const scratch = new DataView(new ArrayBuffer(8))

/**
 * The least number greater than `x`. Some deadlines are strict ("the watermark has passed t",
 * i.e. `watermark > t`); reporting them as `after(t)` lets every wake-up time mean the same
 * thing, `watermark >= wakeAt`, exactly, for any double.
 *
 * @example
 * ```ts
 * after(5) > 5 // true, and nothing lies between them
 * ```
 */
export function after(x: number): number {
  if (Number.isNaN(x) || x === Number.POSITIVE_INFINITY) return x
  if (x === 0) return Number.MIN_VALUE
  scratch.setFloat64(0, x)
  const bits = scratch.getBigUint64(0)
  // IEEE 754 doubles of one sign are ordered like their bit patterns: one step up in magnitude
  // for positives, one step down for negatives.
  scratch.setBigUint64(0, x > 0 ? bits + 1n : bits - 1n)
  return scratch.getFloat64(0)
}

/**
 * Index of the first entry of `list` (sorted by `at`) whose time is greater than `time`: where
 * an item of that time goes so that equal times keep their arrival order.
 *
 * @example
 * ```ts
 * upperBound([[1], [3], [3]], 3, (e) => e[0]) // 3
 * ```
 */
export function upperBound<E>(list: readonly E[], time: number, at: (entry: E) => number): number {
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (at(list[mid] as E) <= time) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * The smaller of two optional wake-up times.
 *
 * @example
 * ```ts
 * earliest(undefined, 5) // 5
 * ```
 */
export function earliest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b
  if (b === undefined) return a
  return Math.min(a, b)
}
