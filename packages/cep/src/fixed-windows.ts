import type { Aggregate } from './aggregates.ts'
import type { Caused, Operator } from './operator.ts'
import type { WindowResult, WindowSpec } from './windows.ts'

/**
 * One window: start, accumulator, item count, results fired (as stored: the on-time result
 * is implied once the watermark passed the end, see {@link fixedWindowOperator}), latest cause.
 */
interface FixedWindow<A> {
  s: number
  a: A
  n: number
  f: number
  c: [id: string, correlationId: string]
}

/** Per-key state of tumbling and hopping windows: windows not yet dropped, by start. */
export interface FixedState<A> {
  w: FixedWindow<A>[]
}

type FixedSpec<T> = Extract<WindowSpec<T>, { kind: 'tumbling' | 'hopping' }>

/**
 * Starts of the windows holding `time`, earliest first. With `hop <= size` there is at least one.
 *
 * @example
 * ```ts
 * windowStarts(25, 20, 10, 0) // [10, 20]
 * ```
 */
export function windowStarts(time: number, size: number, hop: number, offset: number): number[] {
  const starts: number[] = []
  for (let s = Math.floor((time - offset) / hop) * hop + offset; s > time - size; s -= hop) starts.unshift(s)
  return starts
}

/**
 * Tumbling and hopping windows as an {@link Operator}. A window fires when the watermark reaches
 * its end; it takes (and fires again for) events until the watermark reaches
 * `end + allowedLateness`, then is dropped. An event whose earliest window is dropped is late:
 * it joins none of its windows, so an event is never counted in some windows and lost in others.
 *
 * The on-time firing is not written to the state: `advance` only emits, and a window with
 * `f = 0` whose end the watermark passed counts as fired the next time the key is stepped.
 * This holds because the engine advances every key whose `wakeAt` the watermark reaches,
 * before it steps anything at that watermark.
 *
 * @example
 * ```ts
 * const op = fixedWindowOperator(tumbling({ size: 10 }), count())
 * ```
 */
export function fixedWindowOperator<T, A, R>(
  spec: FixedSpec<T>,
  agg: Aggregate<T, A, R>,
): Operator<T, WindowResult<R>, FixedState<A>> {
  const { size, hop, offset, lateness } = spec
  const emit = (key: string, w: FixedWindow<A>): Caused<WindowResult<R>> => ({
    value: { key, start: w.s, end: w.s + size, value: agg.result(w.a), count: w.n, revision: w.f },
    cause: { id: w.c[0], correlationId: w.c[1] },
  })
  /** Makes implied on-time firings explicit and drops windows past their lateness. */
  const settle = (state: FixedState<A>, watermark: number): FixedWindow<A>[] =>
    state.w
      .filter((w) => watermark < w.s + size + lateness)
      .map((w) => (w.f === 0 && watermark >= w.s + size ? { ...w, f: 1 } : w))
  const cleanupAt = (state: FixedState<A>) => Math.max(...state.w.map((w) => w.s + size + lateness))
  const pendingAfter = (state: FixedState<A>, watermark: number) =>
    state.w.find((w) => w.f === 0 && w.s + size > watermark)
  return {
    kind: spec.kind,
    eventTime: spec.eventTime,
    initial: () => ({ w: [] }),
    step(state, input, watermark) {
      const starts = windowStarts(input.time, size, hop, offset)
      if (watermark >= (starts[0] as number) + size + lateness) return { state, outputs: [], late: true }
      const windows = settle(state, watermark)
      const outputs: Caused<WindowResult<R>>[] = []
      for (const s of starts) {
        let i = windows.findIndex((w) => w.s >= s)
        if (i === -1) i = windows.length
        const old = windows[i]?.s === s ? windows[i] : undefined
        const w: FixedWindow<A> = {
          s,
          a: agg.add(old?.a ?? agg.init(), input.value),
          n: (old?.n ?? 0) + 1,
          f: old?.f ?? 0,
          c: [input.cause.id, input.cause.correlationId],
        }
        // Already complete (the watermark passed its end): an allowed late event, fire the update now.
        if (watermark >= s + size) {
          outputs.push(emit(input.key, w))
          w.f += 1
        }
        windows.splice(i, old === undefined ? 0 : 1, w)
      }
      return { state: { w: windows }, outputs }
    },
    advance(state, watermark, key, from) {
      // Windows are sorted by start, hence by end: the ones falling due now are consecutive.
      const outputs = state.w
        .filter((w) => w.f === 0 && w.s + size >= from && w.s + size <= watermark)
        .map((w) => emit(key, w))
      const done = pendingAfter(state, watermark) === undefined && cleanupAt(state) <= watermark
      return { state: done ? { w: settle(state, watermark) } : state, outputs }
    },
    wakeAt(state, watermark) {
      const next = pendingAfter(state, watermark)
      if (next !== undefined) return next.s + size
      return state.w.length === 0 ? undefined : cleanupAt(state)
    },
    isIdle: (state) => state.w.length === 0,
  }
}
