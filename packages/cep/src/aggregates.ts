import type { JsonValue } from '@brook/core'
import { finiteNumber, fn, invalid, readOptions } from './validate.ts'

/**
 * An incremental aggregate over the items of a window. The accumulator `A` is kept in the
 * consumer's durable state, so it must be JSON. `merge` combines the accumulators of two runs
 * of items (the earlier first); sliding and session windows need it, tumbling and hopping
 * windows do not.
 *
 * @example
 * ```ts
 * const total: Aggregate<{ qty: number }, number, number> = {
 *   kind: 'total', init: () => 0, add: (acc, item) => acc + item.qty, merge: (a, b) => a + b, result: (acc) => acc,
 * }
 * ```
 */
export interface Aggregate<T, A, R> {
  readonly kind: string
  init(): A
  add(acc: A, item: T): A
  merge?(a: A, b: A): A
  result(acc: A): R
  /**
   * Optional compact form of one item, for windows that keep items (sliding windows): `of(item)`
   * is stored instead of a one-item accumulator and `add` folds it in. The built-in numeric
   * aggregates store just the number, which keeps per-key state small and cheap to copy.
   */
  readonly unit?: { of(item: T): JsonValue; add(acc: A, unit: JsonValue): A }
}

function valueOf<T>(value: (item: T) => number, kind: string): (item: T) => number {
  return (item) => finiteNumber(value(item), `${kind}: value(item)`)
}

/**
 * The number of items.
 *
 * @example
 * ```ts
 * pipeline('per-minute').keyBy((e) => e.stream).window(tumbling({ size: 60_000 })).aggregate(count())
 * ```
 */
export function count<T = unknown>(): Aggregate<T, number, number> {
  return {
    kind: 'count',
    init: () => 0,
    add: (n) => n + 1,
    merge: (a, b) => a + b,
    result: (n) => n,
    unit: { of: () => 0, add: (n) => n + 1 },
  }
}

/**
 * The sum of `value(item)`.
 *
 * @example
 * ```ts
 * .window(tumbling({ size: 3_600_000 })).aggregate(sum((e) => e.data.amount))
 * ```
 */
export function sum<T>(value: (item: T) => number): Aggregate<T, number, number> {
  const v = valueOf(fn<(item: T) => number>(value, 'sum(value)'), 'sum')
  return {
    kind: 'sum',
    init: () => 0,
    add: (s, item) => s + v(item),
    merge: (a, b) => a + b,
    result: (s) => s,
    unit: { of: v, add: (s, x) => s + (x as number) },
  }
}

/**
 * The mean of `value(item)`. Its accumulator is `[sum, count]`.
 *
 * @example
 * ```ts
 * .window(hopping({ size: 60_000, hop: 10_000 })).aggregate(avg((e) => e.data.value))
 * ```
 */
export function avg<T>(value: (item: T) => number): Aggregate<T, [number, number], number> {
  const v = valueOf(fn<(item: T) => number>(value, 'avg(value)'), 'avg')
  return {
    kind: 'avg',
    init: () => [0, 0],
    add: ([s, n], item) => [s + v(item), n + 1],
    merge: (a, b) => [a[0] + b[0], a[1] + b[1]],
    // Windows are never empty, so n > 0 whenever a result is asked for.
    result: ([s, n]) => (n === 0 ? 0 : s / n),
    unit: { of: v, add: ([s, n], x) => [s + (x as number), n + 1] },
  }
}

function extreme<T>(kind: 'min' | 'max', value: (item: T) => number): Aggregate<T, number | null, number> {
  const v = valueOf(fn<(item: T) => number>(value, `${kind}(value)`), kind)
  const pick = kind === 'min' ? Math.min : Math.max
  const both = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : pick(a, b))
  return {
    kind,
    init: () => null,
    add: (acc, item) => both(acc, v(item)),
    merge: both,
    // null only for no items, which a window never has.
    result: (acc) => acc ?? 0,
    unit: { of: v, add: (acc, x) => both(acc, x as number) },
  }
}

/**
 * The least `value(item)`.
 *
 * @example
 * ```ts
 * .window(session({ gap: 300_000 })).aggregate(min((e) => e.data.price))
 * ```
 */
export function min<T>(value: (item: T) => number): Aggregate<T, number | null, number> {
  return extreme('min', value)
}

/**
 * The greatest `value(item)`.
 *
 * @example
 * ```ts
 * .window(sliding({ size: 60_000 })).aggregate(max((e) => e.data.value))
 * ```
 */
export function max<T>(value: (item: T) => number): Aggregate<T, number | null, number> {
  return extreme('max', value)
}

/**
 * A user-defined aggregate: see {@link reducer}.
 *
 * @example
 * ```ts
 * const spec: ReducerSpec<number, number[], number> = { init: () => [], add: (a, x) => [...a, x], result: (a) => a.length }
 * ```
 */
export interface ReducerSpec<T, A, R> {
  init: () => A
  add: (acc: A, item: T) => A
  /** Combines two accumulators, the earlier items' first. Needed by sliding and session windows. */
  merge?: (a: A, b: A) => A
  result?: (acc: A) => R
}

/**
 * A user-defined aggregate. Accumulators are stored as JSON in the consumer's state; functions
 * must be pure (no clock, no randomness) so a replayed batch gives the same result.
 *
 * @example
 * ```ts
 * const distinctSkus = reducer({
 *   init: (): string[] => [],
 *   add: (acc, e: RecordedEvent<'ItemAdded', { sku: string }>) => (acc.includes(e.data.sku) ? acc : [...acc, e.data.sku]),
 *   merge: (a, b) => [...new Set([...a, ...b])],
 *   result: (acc) => acc.length,
 * })
 * ```
 */
export function reducer<T, A>(spec: ReducerSpec<T, A, A> & { result?: undefined }): Aggregate<T, A, A>
export function reducer<T, A, R>(spec: ReducerSpec<T, A, R> & { result: (acc: A) => R }): Aggregate<T, A, R>
export function reducer<T, A, R>(spec: ReducerSpec<T, A, R>): Aggregate<T, A, R | A> {
  const o = readOptions(spec, 'reducer', ['init', 'add', 'merge', 'result'])
  const merge = fn<(a: A, b: A) => A>(o['merge'], 'reducer.merge', true)
  return {
    kind: 'reducer',
    init: fn<() => A>(o['init'], 'reducer.init'),
    add: fn<(acc: A, item: T) => A>(o['add'], 'reducer.add'),
    ...(merge === undefined ? {} : { merge }),
    result: fn<(acc: A) => R>(o['result'], 'reducer.result', true) ?? ((acc: A) => acc),
  }
}

type AccOf<G> = G extends Aggregate<never, infer A, unknown> ? A : never
type ResultOf<G> = G extends Aggregate<never, unknown, infer R> ? R : never

/**
 * Several aggregates at once, by name: the result is an object of their results.
 *
 * @example
 * ```ts
 * .aggregate(combine({ n: count(), mean: avg((e: Reading) => e.data.value), peak: max((e: Reading) => e.data.value) }))
 * ```
 */
export function combine<T, M extends Record<string, Aggregate<T, unknown, unknown>>>(
  parts: M,
): Aggregate<T, { [K in keyof M]: AccOf<M[K]> }, { [K in keyof M]: ResultOf<M[K]> }> {
  readOptions(parts, 'combine', Object.keys(parts))
  const entries = Object.entries(parts)
  for (const [name, agg] of entries) {
    if (typeof agg !== 'object' || agg === null || typeof agg.add !== 'function' || typeof agg.result !== 'function') {
      throw invalid(`combine.${name}`, 'must be an aggregate (count(), avg(…), reducer(…), …)')
    }
  }
  type Acc = Record<string, unknown>
  const each = (f: (name: string, agg: Aggregate<T, unknown, unknown>) => unknown) =>
    Object.fromEntries(entries.map(([name, agg]) => [name, f(name, agg)]))
  const merges = entries.every(([, agg]) => agg.merge !== undefined)
  const merge = (a: Acc, b: Acc) => each((k, agg) => agg.merge?.call(agg, a[k], b[k]))
  const units = entries.every(([, agg]) => agg.unit !== undefined)
  type Unit = NonNullable<Aggregate<T, unknown, unknown>['unit']>
  // One unit per part, in the order of `entries`.
  const index = Object.fromEntries(entries.map(([name], i) => [name, i]))
  const unit = {
    of: (item: T): JsonValue => entries.map(([, agg]) => (agg.unit as Unit).of(item)),
    add: (acc: Acc, u: JsonValue) =>
      each((k, agg) => (agg.unit as Unit).add(acc[k], (u as JsonValue[])[index[k] as number] ?? null)),
  }
  const out: Aggregate<T, Acc, Acc> = {
    kind: 'combine',
    init: () => each((_, agg) => agg.init()),
    add: (acc, item) => each((k, agg) => agg.add(acc[k], item)),
    ...(merges ? { merge } : {}),
    result: (acc) => each((k, agg) => agg.result(acc[k])),
    ...(units ? { unit } : {}),
  }
  return out as Aggregate<T, { [K in keyof M]: AccOf<M[K]> }, { [K in keyof M]: ResultOf<M[K]> }>
}
