import type { Aggregate } from './aggregates.ts'
import type { Caused, Operator } from './operator.ts'
import type { WindowResult, WindowSpec } from './windows.ts'

/**
 * One session `[s, e)`: accumulator, item count, results fired as stored, whether it changed
 * since its last result (`p`: a pending session fires when the watermark reaches `e`), cause.
 */
interface Session<A> {
  s: number
  e: number
  a: A
  n: number
  f: number
  p: boolean
  c: [id: string, correlationId: string]
}

/** Per-key state of session windows: sessions not yet dropped, by start (they never overlap). */
export interface SessionState<A> {
  w: Session<A>[]
}

type SessionSpec<T> = Extract<WindowSpec<T>, { kind: 'session' }>

/**
 * Session windows as an {@link Operator}. An event at `t` opens `[t, t + gap)` and merges with
 * every session it overlaps. A session fires when the watermark reaches its end and is dropped
 * when the watermark reaches `end + allowedLateness`. An event is late when the watermark has
 * passed `t + allowedLateness`; that rule also guarantees no accepted event ever falls into a
 * dropped session, so sessions never overlap. As with fixed windows, an on-time firing is
 * implied by the watermark and made explicit the next time the key is stepped.
 *
 * @example
 * ```ts
 * const op = sessionWindowOperator(session({ gap: 30_000 }), count())
 * ```
 */
export function sessionWindowOperator<T, A, R>(
  spec: SessionSpec<T>,
  agg: Aggregate<T, A, R> & { merge(a: A, b: A): A },
): Operator<T, WindowResult<R>, SessionState<A>> {
  const { gap, lateness } = spec
  const emit = (key: string, w: Session<A>): Caused<WindowResult<R>> => ({
    value: { key, start: w.s, end: w.e, value: agg.result(w.a), count: w.n, revision: w.f },
    cause: { id: w.c[0], correlationId: w.c[1] },
  })
  const settle = (state: SessionState<A>, watermark: number): Session<A>[] =>
    state.w
      .filter((w) => watermark < w.e + lateness)
      .map((w) => (w.p && watermark >= w.e ? { ...w, f: w.f + 1, p: false } : w))
  const cleanupAt = (state: SessionState<A>) => Math.max(...state.w.map((w) => w.e + lateness))
  const pendingAfter = (state: SessionState<A>, watermark: number) => {
    let at: number | undefined
    for (const w of state.w) if (w.p && w.e > watermark && (at === undefined || w.e < at)) at = w.e
    return at
  }
  return {
    kind: 'session',
    eventTime: spec.eventTime,
    initial: () => ({ w: [] }),
    step(state, input, watermark) {
      const t = input.time
      if (watermark > t + lateness) return { state, outputs: [], late: true }
      const own: Session<A> = {
        s: t,
        e: t + gap,
        a: agg.add(agg.init(), input.value),
        n: 1,
        f: 0,
        p: true,
        c: [input.cause.id, input.cause.correlationId],
      }
      const overlaps = (w: Session<A>) => w.s < own.e && t < w.e
      const sessions = settle(state, watermark)
      const kept = sessions.filter((w) => !overlaps(w))
      // Fold in time order, so order-sensitive reducers see earlier items first.
      const parts = [...sessions.filter(overlaps), own].sort((x, y) => x.s - y.s)
      const merged = parts.reduce((x, y) => ({
        s: Math.min(x.s, y.s),
        e: Math.max(x.e, y.e),
        a: agg.merge(x.a, y.a),
        n: x.n + y.n,
        f: x.f + y.f,
        p: true,
        c: own.c,
      }))
      const outputs: Caused<WindowResult<R>>[] = []
      if (watermark >= merged.e) {
        outputs.push(emit(input.key, merged))
        merged.f += 1
        merged.p = false
      }
      const at = kept.findIndex((w) => w.s > merged.s)
      kept.splice(at === -1 ? kept.length : at, 0, merged)
      return { state: { w: kept }, outputs }
    },
    advance(state, watermark, key, from) {
      const outputs = state.w.filter((w) => w.p && w.e >= from && w.e <= watermark).map((w) => emit(key, w))
      const done = pendingAfter(state, watermark) === undefined && cleanupAt(state) <= watermark
      return { state: done ? { w: settle(state, watermark) } : state, outputs }
    },
    wakeAt(state, watermark) {
      const next = pendingAfter(state, watermark)
      if (next !== undefined) return next
      return state.w.length === 0 ? undefined : cleanupAt(state)
    },
    isIdle: (state) => state.w.length === 0,
  }
}
