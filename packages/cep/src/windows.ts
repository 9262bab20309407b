import { readEventTime, type EventTime, type EventTimeOptions } from './operator.ts'
import { invalid, readOptions, wholeNumber } from './validate.ts'

/**
 * What a window emits. Tumbling, hopping and session windows cover `[start, end)`; a sliding
 * window covers `(start, end]`: the `size` ms up to and including the event that opened it.
 * `revision` counts the results this one supersedes: 0 for the first result of a window, then
 * 1, 2, … for each update made by an event that came within the allowed lateness (for
 * sessions, merged sessions add up their counts).
 *
 * @example
 * ```ts
 * .emit((r: WindowResult<number>) => ({ stream: `avg-${r.key}`, type: 'Averaged', data: { ...r } }))
 * ```
 */
export interface WindowResult<R> {
  key: string
  start: number
  end: number
  value: R
  /** Items in the window. */
  count: number
  revision: number
}

/**
 * Options of every window: event time, out-of-orderness, allowed lateness (all ms).
 *
 * @example
 * ```ts
 * const late: WindowOptions<Reading> = { time: (e) => e.data.at, outOfOrder: 2_000, allowedLateness: 10_000 }
 * ```
 */
export interface WindowOptions<T> extends EventTimeOptions<T> {
  /**
   * How long after the watermark passes a window's end it still takes events, each of which
   * fires an updated result (default 0). Later events go to the late output.
   */
  allowedLateness?: number
}

/**
 * A validated window definition, made by {@link tumbling}, {@link hopping}, {@link sliding} or {@link session}.
 *
 * @example
 * ```ts
 * const w: WindowSpec<Reading> = hopping({ size: 60_000, hop: 15_000 })
 * ```
 */
export type WindowSpec<T> =
  | {
      kind: 'tumbling' | 'hopping'
      size: number
      hop: number
      offset: number
      eventTime: EventTime<T>
      lateness: number
    }
  | { kind: 'sliding'; size: number; eventTime: EventTime<T>; lateness: number }
  | { kind: 'session'; gap: number; eventTime: EventTime<T>; lateness: number }

const COMMON = ['time', 'outOfOrder', 'allowedLateness']

function common<T>(o: Record<string, unknown>, path: string) {
  return {
    eventTime: readEventTime<T>(o, path),
    lateness: wholeNumber(o['allowedLateness'], `${path}.allowedLateness`, 0, 0),
  }
}

function offsetOf(o: Record<string, unknown>, path: string, limit: number, limitName: string): number {
  const offset = wholeNumber(o['offset'], `${path}.offset`, 0, 0)
  if (offset >= limit) throw invalid(`${path}.offset`, `must be less than ${limitName} (${limit})`)
  return offset
}

/**
 * Fixed-size windows that do not overlap: `[offset + k·size, offset + (k+1)·size)`.
 *
 * @example
 * ```ts
 * pipeline('per-minute').keyBy((e) => e.stream).window(tumbling({ size: 60_000, outOfOrder: 2_000 })).aggregate(count())
 * ```
 */
export function tumbling<T = unknown>(options: WindowOptions<T> & { size: number; offset?: number }): WindowSpec<T> {
  const o = readOptions(options, 'tumbling', ['size', 'offset', ...COMMON])
  const size = wholeNumber(o['size'], 'tumbling.size', 1)
  return {
    kind: 'tumbling',
    size,
    hop: size,
    offset: offsetOf(o, 'tumbling', size, 'size'),
    ...common<T>(o, 'tumbling'),
  }
}

/**
 * Fixed-size windows that start every `hop` ms and may overlap (`hop <= size`): an event
 * belongs to `size / hop` windows (rounded up or down).
 *
 * @example
 * ```ts
 * .window(hopping({ size: 60_000, hop: 10_000, allowedLateness: 5_000 })).aggregate(avg((e) => e.data.value))
 * ```
 */
export function hopping<T = unknown>(
  options: WindowOptions<T> & { size: number; hop: number; offset?: number },
): WindowSpec<T> {
  const o = readOptions(options, 'hopping', ['size', 'hop', 'offset', ...COMMON])
  const size = wholeNumber(o['size'], 'hopping.size', 1)
  const hop = wholeNumber(o['hop'], 'hopping.hop', 1)
  if (hop > size) {
    throw invalid('hopping.hop', `must not exceed size (${hop} > ${size}): events between windows would be lost`)
  }
  return { kind: 'hopping', size, hop, offset: offsetOf(o, 'hopping', hop, 'hop'), ...common<T>(o, 'hopping') }
}

/**
 * One window per distinct event time `t` of a key, covering `(t - size, t]`: "the last `size`
 * ms as of this event". It fires once the watermark passes `t`, so every event yields an
 * up-to-date aggregate of its recent past (a moving aggregate).
 *
 * @example
 * ```ts
 * .window(sliding({ size: 60_000, outOfOrder: 2_000, time: (e) => e.data.at })).aggregate(avg((e) => e.data.value))
 * ```
 */
export function sliding<T = unknown>(options: WindowOptions<T> & { size: number }): WindowSpec<T> {
  const o = readOptions(options, 'sliding', ['size', ...COMMON], {
    every: 'sliding windows follow the events; for windows every N ms use hopping({ size, hop })',
    hop: 'sliding windows follow the events; for windows every N ms use hopping({ size, hop })',
  })
  return { kind: 'sliding', size: wholeNumber(o['size'], 'sliding.size', 1), ...common<T>(o, 'sliding') }
}

/**
 * Windows of activity: events of a key less than `gap` ms apart share a session, which covers
 * `[first event time, last event time + gap)`. Sessions merge when an event bridges them.
 *
 * @example
 * ```ts
 * .keyBy((e) => e.data.user).window(session({ gap: 30 * 60_000 })).aggregate(count())
 * ```
 */
export function session<T = unknown>(options: WindowOptions<T> & { gap: number }): WindowSpec<T> {
  const o = readOptions(options, 'session', ['gap', ...COMMON])
  return { kind: 'session', gap: wholeNumber(o['gap'], 'session.gap', 1), ...common<T>(o, 'session') }
}
