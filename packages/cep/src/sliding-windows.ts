import type { JsonValue } from '@brook/core'
import type { Aggregate } from './aggregates.ts'
import { after, upperBound, type Caused, type Operator } from './operator.ts'
import type { WindowResult, WindowSpec } from './windows.ts'

/**
 * Per-key state of sliding windows. It is read and written for nearly every event, so it holds
 * only what cannot be derived, in flat arrays (which copy and validate several times faster
 * than arrays of objects):
 * - `t`, `a`: the items still needed, by time (arrival order among equal times): their times,
 *   and each one's unit if the aggregate has one (a number for the built-in ones), else its
 *   one-item accumulator. The windows are implied: one per distinct item time `e` that the
 *   watermark has not passed by more than the allowed lateness.
 * - `p`: `[end, causeId, correlationId, …]` of the windows not fired yet (the watermark has not
 *   passed their end), by end: the event that opened each one, the cause of its first result.
 * - `r`: `[end, results so far, …]` of fired windows that took allowed late events. A fired
 *   window without an entry has exactly one result: the on-time one, implied by the watermark.
 */
export interface SlidingState<A> {
  t: number[]
  a: (A | JsonValue)[]
  p: (number | string)[]
  r: number[]
}

type SlidingSpec<T> = Extract<WindowSpec<T>, { kind: 'sliding' }>

const same = (x: number) => x

/** Index in a flat array of `width`-long records, sorted by their first field, of `end`; or -1. */
function find(list: readonly (number | string)[], width: number, end: number): number {
  for (let i = 0; i < list.length; i += width) if (list[i] === end) return i
  return -1
}

/**
 * Sliding windows as an {@link Operator}: each distinct event time `e` of a key opens the window
 * `(e - size, e]`, which fires once the watermark passes `e` (caused by the event that opened
 * it) and is dropped once it passes `e + allowedLateness`; until then each allowed late event it
 * takes fires it again (caused by that event). An event is late when its own window would
 * already be dropped. Firing on time writes nothing: advancing a key only emits.
 *
 * @example
 * ```ts
 * const op = slidingWindowOperator(sliding({ size: 60_000 }), avg((e: RecordedEvent<'R', { v: number }>) => e.data.v))
 * ```
 */
export function slidingWindowOperator<T, A, R>(
  spec: SlidingSpec<T>,
  agg: Aggregate<T, A, R>,
): Operator<T, WindowResult<R>, SlidingState<A>> {
  const { size, lateness } = spec
  const unit = agg.unit
  if (unit === undefined && agg.merge === undefined) throw new TypeError('sliding windows need unit or merge')
  const itemOf = (item: T): A | JsonValue => (unit === undefined ? agg.add(agg.init(), item) : unit.of(item))
  const fold = (acc: A, x: A | JsonValue): A =>
    unit === undefined ? (agg.merge as (a: A, b: A) => A).call(agg, acc, x as A) : unit.add(acc, x as JsonValue)
  const emit = (key: string, s: SlidingState<A>, end: number, revision: number, id: string, correlationId: string) => {
    const from = upperBound(s.t, end - size, same)
    const to = upperBound(s.t, end, same)
    let acc = agg.init()
    for (let j = from; j < to; j++) acc = fold(acc, s.a[j] as A | JsonValue)
    const value: WindowResult<R> = { key, start: end - size, end, value: agg.result(acc), count: to - from, revision }
    return { value, cause: { id, correlationId } }
  }
  /**
   * A copy without what the watermark made stale: fired windows' pending entries (their
   * on-time result is implied), dropped windows' revision counts, and items no window still
   * open or yet to open can hold (an accepted event is no earlier than `watermark - lateness`,
   * so its window starts after `watermark - lateness - size`).
   */
  const settle = (s: SlidingState<A>, watermark: number): SlidingState<A> => {
    const keep = upperBound(s.t, watermark - lateness - size, same)
    let p = 0
    while (p < s.p.length && watermark > (s.p[p] as number)) p += 3
    let r = 0
    while (r < s.r.length && watermark > (s.r[r] as number) + lateness) r += 2
    return { t: s.t.slice(keep), a: s.a.slice(keep), p: s.p.slice(p), r: s.r.slice(r) }
  }
  /** Offset in `p` of the first window the watermark has not passed, or -1. */
  const pending = (s: SlidingState<A>, watermark: number) => {
    for (let i = 0; i < s.p.length; i += 3) if (!(watermark > (s.p[i] as number))) return i
    return -1
  }
  return {
    kind: 'sliding',
    eventTime: spec.eventTime,
    initial: () => ({ t: [], a: [], p: [], r: [] }),
    step(state, input, watermark) {
      const time = input.time
      if (watermark > time + lateness) return { state, outputs: [], late: true }
      const s = settle(state, watermark)
      const { id, correlationId } = input.cause
      const at = upperBound(s.t, time, same)
      const opened = s.t[at - 1] !== time
      s.t.splice(at, 0, time)
      s.a.splice(at, 0, itemOf(input.value))
      const outputs: Caused<WindowResult<R>>[] = []
      // The windows holding the item: one per distinct item time in [time, time + size).
      for (let i = at; i < s.t.length && (s.t[i] as number) < time + size; i++) {
        const end = s.t[i] as number
        if (s.t[i + 1] === end) continue // the last of equal times stands for their window
        if (!(watermark > end)) {
          // Not fired yet: only its own event (the latest at its end) becomes its cause.
          if (end !== time) continue
          const p = find(s.p, 3, end)
          if (p === -1) {
            let q = 0
            while (q < s.p.length && (s.p[q] as number) < end) q += 3
            s.p.splice(q, 0, end, id, correlationId)
          } else s.p.splice(p + 1, 2, id, correlationId)
          continue
        }
        // Already fired on time (unless this item opened it): an allowed late update.
        const r = find(s.r, 2, end)
        const before = r === -1 ? (end === time && opened ? 0 : 1) : (s.r[r + 1] as number)
        outputs.push(emit(input.key, s, end, before, id, correlationId))
        if (r !== -1) s.r[r + 1] = before + 1
        else {
          let q = 0
          while (q < s.r.length && (s.r[q] as number) < end) q += 2
          s.r.splice(q, 0, end, before + 1)
        }
      }
      return { state: s, outputs }
    },
    advance(state, watermark, key, from) {
      const outputs: Caused<WindowResult<R>>[] = []
      for (let i = 0; i < state.p.length; i += 3) {
        const end = state.p[i] as number
        if (after(end) >= from && watermark > end) {
          outputs.push(emit(key, state, end, 0, state.p[i + 1] as string, state.p[i + 2] as string))
        }
      }
      const last = state.t[state.t.length - 1]
      const done = pending(state, watermark) === -1 && (last === undefined || last + lateness + size <= watermark)
      return { state: done ? settle(state, watermark) : state, outputs }
    },
    wakeAt(state, watermark) {
      const next = pending(state, watermark)
      if (next !== -1) return after(state.p[next] as number)
      const last = state.t[state.t.length - 1]
      return last === undefined ? undefined : last + lateness + size
    },
    isIdle: (state) => state.t.length === 0,
  }
}
