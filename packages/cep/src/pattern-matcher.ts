import type { Caused } from './operator.ts'
import type { OrderedFold } from './ordered.ts'
import type { AfterMatch } from './pattern.ts'

/**
 * A step's condition: the event, and the events matched so far by step name.
 *
 * @example
 * ```ts
 * const hotter: Condition<Reading> = (e, m) => e.data.celsius > (m['hot']?.data.celsius ?? 0)
 * ```
 */
export type Condition<T> = (item: T, matched: Readonly<Record<string, T>>) => boolean

/**
 * A match: the events by step name (negations match nothing), and the event times of its
 * first and last events.
 *
 * @example
 * ```ts
 * .emit((m: PatternMatch<Reading>) => ({ stream: `incidents-${m.key}`, type: 'Incident', data: { from: m.start, to: m.end } }))
 * ```
 */
export interface PatternMatch<T> {
  key: string
  events: Record<string, T>
  start: number
  end: number
}

/** A validated pattern: positive steps (with the negations before each), trailing negations. */
export interface Compiled<T> {
  steps: { name: string; cond: Condition<T>; strict: boolean; forbid: Condition<T>[] }[]
  forbidden: [name: string, cond: Condition<T>][]
  within: number | undefined
  afterMatch: AfterMatch
}

/** A queued event: time, item, cause. */
export type PatternEntry<T> = [time: number, item: T, id: string, correlationId: string]

/**
 * A partial match. `s` and `l` number its first and last events in the key's processing order
 * (what the after-match policy compares); `k` is the next positive step; `d` is set once all
 * positive steps matched and only the trailing negation's deadline is awaited.
 */
interface Partial<T> {
  s: number
  l: number
  t0: number
  e: number
  k: number
  m: Record<string, T>
  c: [id: string, correlationId: string]
  d?: number
}

/** Per-key matcher state: events taken so far (a counter), partial matches by start. */
export interface MatcherState<T> {
  n: number
  a: Partial<T>[]
}

/**
 * The matching engine of {@link pattern}, as a fold over one key's events in event-time order.
 *
 * @example
 * ```ts
 * const op = orderedOperator('pattern', eventTime, toEntry, matcherFold(compiled))
 * ```
 */
export function matcherFold<T>(spec: Compiled<T>): OrderedFold<PatternEntry<T>, MatcherState<T>, PatternMatch<T>> {
  const { steps, forbidden, within } = spec
  const skip = spec.afterMatch === 'skip-past-last'
  const final = forbidden.map(([, c]) => c)
  const emit = (key: string, p: Partial<T>): Caused<PatternMatch<T>> => ({
    value: { key, events: p.m, start: p.t0, end: p.e },
    cause: { id: p.c[0], correlationId: p.c[1] },
  })
  // Emits `done` (in start order) under the after-match policy; returns the survivors of `rest`.
  const settle = (key: string, done: Partial<T>[], rest: Partial<T>[], outputs: Caused<PatternMatch<T>>[]) => {
    let alive = rest
    let pastLast = -1
    for (const p of done) {
      if (p.s <= pastLast) continue
      outputs.push(emit(key, p))
      if (skip) pastLast = p.l
    }
    if (pastLast >= 0) alive = alive.filter((p) => p.s > pastLast)
    return alive
  }
  return {
    initial: () => ({ n: 0, a: [] }),
    until(f, time, key) {
      const expired = (p: Partial<T>) => within !== undefined && p.d === undefined && p.t0 + within <= time
      const due = f.a.filter((p) => p.d !== undefined && p.d <= time)
      if (due.length === 0 && !f.a.some(expired)) return { fold: f, outputs: [] }
      const outputs: Caused<PatternMatch<T>>[] = []
      const rest = f.a.filter((p) => !expired(p) && !(p.d !== undefined && p.d <= time))
      return { fold: { n: f.n, a: settle(key, due, rest, outputs) }, outputs }
    },
    take(f, [time, item, id, correlationId], key) {
      const n = f.n + 1
      const c: [string, string] = [id, correlationId]
      const kept: Partial<T>[] = []
      const done: Partial<T>[] = []
      const reached = (p: Partial<T>) => {
        if (p.k < steps.length) kept.push(p)
        else if (final.length > 0) kept.push({ ...p, d: p.t0 + (within as number) })
        else done.push(p)
      }
      for (const p of f.a) {
        if (p.d !== undefined) {
          if (!final.some((cond) => cond(item, p.m))) kept.push(p)
          continue
        }
        const step = steps[p.k] as Compiled<T>['steps'][number]
        if (step.forbid.some((cond) => cond(item, p.m))) continue
        if (step.cond(item, p.m)) reached({ ...p, l: n, e: time, k: p.k + 1, m: { ...p.m, [step.name]: item }, c })
        else if (!step.strict) kept.push(p)
      }
      const first = steps[0] as Compiled<T>['steps'][number]
      if (first.cond(item, {})) reached({ s: n, l: n, t0: time, e: time, k: 1, m: { [first.name]: item }, c })
      const outputs: Caused<PatternMatch<T>>[] = []
      return { fold: { n, a: settle(key, done, kept, outputs) }, outputs }
    },
    wakeAt(f) {
      let at: number | undefined
      for (const p of f.a) {
        const deadline = p.d ?? (within === undefined ? undefined : p.t0 + within)
        if (deadline !== undefined && (at === undefined || deadline < at)) at = deadline
      }
      return at
    },
    isIdle: (f) => f.a.length === 0,
  }
}
