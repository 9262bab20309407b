import { after, earliest, upperBound, type Caused, type EventTime, type Operator, type Timed } from './operator.ts'

/** A queued item: its event time first. */
export type Entry = readonly [time: number, ...rest: unknown[]]

/**
 * A fold over one key's items in event-time order, the part of an ordered operator that knows
 * what to compute. Deadlines (e.g. a pattern's `within`) are met in `until`, before any later item.
 */
export interface OrderedFold<E extends Entry, F, Out> {
  initial(): F
  /** Everything due once all items earlier than `time` are taken (deadlines `<= time`). */
  until(fold: F, time: number, key: string): { fold: F; outputs: Caused<Out>[] }
  /** Takes the next item in event-time order. */
  take(fold: F, entry: E, key: string): { fold: F; outputs: Caused<Out>[] }
  /** When `until` has something to do (`watermark >= wakeAt`). */
  wakeAt(fold: F): number | undefined
  isIdle(fold: F): boolean
}

/** Per-key state of an ordered operator: items waiting for the watermark, and the fold. */
export interface OrderedState<E, F> {
  q: E[]
  f: F
}

/**
 * Turns a fold over time-ordered items into an {@link Operator}. Items wait in a per-key queue
 * until the watermark passes their time, then are taken in event-time order (arrival order
 * among equal times), so the result does not depend on how much they arrived out of order
 * within `outOfOrder`. An item whose time the watermark has already passed is late: what it
 * would change has been emitted.
 *
 * @example
 * ```ts
 * const op = orderedOperator('running-count', eventTime, (input) => [input.time] as const, countingFold)
 * ```
 */
export function orderedOperator<T, E extends Entry, F, Out>(
  kind: string,
  eventTime: EventTime<T>,
  toEntry: (input: Timed<T>) => E,
  fold: OrderedFold<E, F, Out>,
): Operator<T, Out, OrderedState<E, F>> {
  const time = (e: E) => e[0]
  return {
    kind,
    eventTime,
    initial: () => ({ q: [], f: fold.initial() }),
    step(state, input, watermark) {
      if (watermark > input.time) return { state, outputs: [], late: true }
      const q = state.q.slice()
      q.splice(upperBound(q, input.time, time), 0, toEntry(input))
      return { state: { q, f: state.f }, outputs: [] }
    },
    advance(state, watermark, key) {
      const outputs: Caused<Out>[] = []
      let f = state.f
      let taken = 0
      for (const entry of state.q) {
        if (!(watermark > entry[0])) break
        const due = fold.until(f, entry[0], key)
        const next = fold.take(due.fold, entry, key)
        outputs.push(...due.outputs, ...next.outputs)
        f = next.fold
        taken += 1
      }
      const due = fold.until(f, watermark, key)
      outputs.push(...due.outputs)
      return { state: { q: state.q.slice(taken), f: due.fold }, outputs }
    },
    wakeAt(state) {
      const first = state.q[0]
      return earliest(first === undefined ? undefined : after(first[0]), fold.wakeAt(state.f))
    },
    isIdle: (state) => state.q.length === 0 && fold.isIdle(state.f),
  }
}
