import type { RecordedEvent } from '@brook/core'
import type { Aggregate } from './aggregates.ts'
import { toConsumer, type CepConsumer, type ConsumerOptions } from './consumer.ts'
import type { Definition, Emitted, LateItem, Selection } from './definition.ts'
import type { Operator } from './operator.ts'
import { fn, invalid, readOptions, text } from './validate.ts'
import { windowOperator } from './window-operator.ts'
import type { WindowResult, WindowSpec } from './windows.ts'

/**
 * Steps before the stateful operator: they see each item and its source event.
 *
 * @example
 * ```ts
 * pipeline<Reading>('p').map((e) => ({ at: e.data.at, v: e.data.value })).filter((x) => x.v > 0)
 * ```
 */
export interface Flow<E extends RecordedEvent, T> {
  map<U>(f: (item: T, event: E) => U): Flow<E, U>
  filter<U extends T>(f: (item: T, event: E) => item is U): Flow<E, U>
  filter(f: (item: T, event: E) => boolean): Flow<E, T>
  flatMap<U>(f: (item: T, event: E) => readonly U[]): Flow<E, U>
  /** Partitions state: windows, matches and averages are per key. Without it, one key `''`. */
  keyBy(f: (item: T, event: E) => string): Keyed<T>
  window(spec: WindowSpec<T>): Windowed<T>
  apply<Out>(op: Operator<T, Out>): Derived<Out, T>
  /** A stateless pipeline: each item becomes zero or more derived events. */
  emit(f: (item: T, event: E) => Emitted): Runnable<never>
}

/**
 * A pipeline's start: choose events with `from`, or take every event.
 *
 * @example
 * ```ts
 * pipeline<Reading>('p').from({ types: ['Reading'], where: (e) => e.data.value >= 0 })
 * ```
 */
export interface Source<E extends RecordedEvent> extends Flow<E, E> {
  from(selection: Selection<E>): Flow<E, E>
}

/**
 * Items partitioned by key, ready for a stateful operator.
 *
 * @example
 * ```ts
 * pipeline<Reading>('p').keyBy((e) => e.stream).apply(movingAverage({ value: (e: Reading) => e.data.value, count: 5 }))
 * ```
 */
export interface Keyed<T> {
  window(spec: WindowSpec<T>): Windowed<T>
  apply<Out>(op: Operator<T, Out>): Derived<Out, T>
}

/**
 * Items assigned to windows, waiting for an aggregate.
 *
 * @example
 * ```ts
 * pipeline('p').keyBy((e) => e.stream).window(tumbling({ size: 60_000 })).aggregate(count())
 * ```
 */
export interface Windowed<T> {
  aggregate<A, R>(agg: Aggregate<T, A, R>): Derived<WindowResult<R>, T>
}

/**
 * The operator's outputs (`O`), to shape and emit; `L` is what its late output carries.
 *
 * @example
 * ```ts
 * windowed.aggregate(count()).filter((w) => w.value > 10).emit((w) => ({ stream: 'busy', type: 'Busy', data: { ...w } }))
 * ```
 */
export interface Derived<O, L> {
  map<U>(f: (item: O) => U): Derived<U, L>
  filter<U extends O>(f: (item: O) => item is U): Derived<U, L>
  filter(f: (item: O) => boolean): Derived<O, L>
  flatMap<U>(f: (item: O) => readonly U[]): Derived<U, L>
  emit(f: (item: O) => Emitted): Runnable<L>
}

/**
 * A complete pipeline: give late items a side output if you like, then make it a consumer.
 *
 * @example
 * ```ts
 * runConsumer(averages.emitLate('late-readings').toConsumer({ store: 'plant', batchSize: 500 }))
 * ```
 */
export interface Runnable<L> {
  /** Side output for late items (they are counted in state under `late` either way). */
  late(f: (late: LateItem<L>) => Emitted): Runnable<L>
  /** Side output for late items as `type` events in `stream`, with the late event's id, position, key, time and the watermark. */
  emitLate(stream: string, type?: string): Runnable<L>
  toConsumer(options: ConsumerOptions): CepConsumer
}

type Untyped = (...args: never[]) => unknown

const mapStep = (f: Untyped) => (item: unknown, event?: RecordedEvent) => [
  (f as (i: unknown, e?: unknown) => unknown)(item, event),
]
const filterStep = (f: Untyped) => (item: unknown, event?: RecordedEvent) =>
  (f as (i: unknown, e?: unknown) => unknown)(item, event) ? [item] : []
const flatMapStep = (method: string, f: Untyped) => (item: unknown, event?: RecordedEvent) => {
  const out = (f as (i: unknown, e?: unknown) => unknown)(item, event)
  if (!Array.isArray(out)) throw invalid(method, 'flatMap must return an array')
  return out as unknown[]
}

function runnable<L>(def: Definition): Runnable<L> {
  const late = (f: (late: LateItem<L>) => Emitted): Runnable<L> => {
    if (def.late !== undefined) throw invalid(`pipeline ${def.name}: late`, 'a late output is already set')
    return runnable({ ...def, late: fn<(l: LateItem<unknown>) => Emitted>(f, `pipeline ${def.name}: late`) })
  }
  return {
    late,
    emitLate(stream, type = 'LateEvent') {
      const s = text(stream, `pipeline ${def.name}: emitLate(stream)`)
      const t = text(type, `pipeline ${def.name}: emitLate(type)`)
      return late((l) => ({
        stream: s,
        type: t,
        data: {
          pipeline: def.name,
          eventId: l.event.id,
          eventType: l.event.type,
          eventStream: l.event.stream,
          position: l.event.position,
          key: l.key,
          time: l.time,
          watermark: l.watermark,
        },
      }))
    },
    toConsumer: (options) => toConsumer(def, options),
  }
}

function derived<O, L>(def: Definition): Derived<O, L> {
  const post = (step: (item: unknown) => readonly unknown[]) => derived<never, L>({ ...def, post: [...def.post, step] })
  const at = (m: string) => `pipeline ${def.name}: ${m}`
  return {
    map: (f) => post(mapStep(fn(f, at('map')))),
    filter: (f: Untyped) => post(filterStep(fn(f, at('filter')))),
    flatMap: (f) => post(flatMapStep(at('flatMap'), fn(f, at('flatMap')))),
    emit: (f) => runnable<L>({ ...def, emit: fn<Definition['emit']>(f, at('emit')) }),
  }
}

function keyed<T>(def: Definition): Keyed<T> {
  const withOp = <Out>(op: Operator<unknown, unknown>) => {
    const o = op as Partial<Record<keyof Operator<unknown, unknown>, unknown>> | null
    const methods = ['initial', 'step', 'advance', 'wakeAt', 'isIdle'] as const
    if (typeof o !== 'object' || o === null || methods.some((m) => typeof o[m] !== 'function')) {
      const hint = typeof o === 'object' && o !== null && 'begin' in o ? ' (a pattern needs .begin(…) first)' : ''
      throw invalid(
        `pipeline ${def.name}: apply`,
        `must be an operator: movingAverage, thresholdAlert, a pattern…${hint}`,
      )
    }
    op.validate?.()
    return derived<Out, T>({ ...def, op })
  }
  return {
    window: (spec) => ({
      aggregate: <A, R>(agg: Aggregate<T, A, R>) =>
        withOp<WindowResult<R>>(windowOperator(spec, agg) as Operator<unknown, unknown>),
    }),
    apply: <Out>(op: Operator<T, Out>) => withOp<Out>(op as Operator<unknown, unknown>),
  }
}

function flow<E extends RecordedEvent, T>(def: Definition): Flow<E, T> {
  const pre = (step: (item: unknown, event: RecordedEvent) => readonly unknown[]) =>
    flow<E, never>({ ...def, pre: [...def.pre, step] })
  const at = (m: string) => `pipeline ${def.name}: ${m}`
  return {
    map: (f) => pre(mapStep(fn(f, at('map')))),
    filter: (f: Untyped) => pre(filterStep(fn(f, at('filter')))),
    flatMap: (f) => pre(flatMapStep(at('flatMap'), fn(f, at('flatMap')))),
    keyBy: (f) => keyed({ ...def, keyBy: fn<Definition['keyBy']>(f, at('keyBy')) }),
    ...keyed<T>(def),
    emit: (f) => runnable<never>({ ...def, emit: fn<Definition['emit']>(f, at('emit')) }),
  }
}

/**
 * Starts a pipeline named `name` (the default consumer name). Choose events with `from`, shape
 * them with `map`/`filter`/`flatMap`, partition with `keyBy`, then one stateful step (a window
 * and aggregate, or an operator: pattern, moving average, threshold alert), then `emit`. Chain
 * stages through streams: a second pipeline reads what the first emits. Every function you pass
 * must be pure (no clock, no randomness): a batch replayed after a crash must give the same output.
 *
 * @example
 * ```ts
 * type Reading = RecordedEvent<'Reading', { at: number; value: number }>
 * const averages = pipeline<Reading>('device-averages')
 *   .from({ types: ['Reading'] })
 *   .keyBy((e) => e.stream)
 *   .window(hopping({ size: 60_000, hop: 10_000, outOfOrder: 2_000, allowedLateness: 5_000, time: (e) => e.data.at }))
 *   .aggregate(avg((e) => e.data.value))
 *   .emit((r) => ({ stream: `averages-${r.key}`, type: 'AverageComputed', data: { ...r } }))
 *   .emitLate('late-readings')
 * runConsumer(averages.toConsumer({ store: 'plant' }))
 * ```
 */
export function pipeline<E extends RecordedEvent = RecordedEvent>(name: string): Source<E> {
  const def: Definition = {
    name: text(name, 'pipeline(name)'),
    selection: undefined,
    pre: [],
    keyBy: undefined,
    op: undefined,
    post: [],
    emit: undefined,
    late: undefined,
  }
  return {
    ...flow<E, E>(def),
    from(selection) {
      const o = readOptions(selection, `pipeline ${def.name}: from`, ['types', 'streams', 'where'])
      for (const k of ['types', 'streams'] as const) {
        const list = o[k]
        if (list !== undefined && !(Array.isArray(list) && list.every((x) => typeof x === 'string'))) {
          throw invalid(`pipeline ${def.name}: from.${k}`, 'must be an array of strings')
        }
      }
      fn(o['where'], `pipeline ${def.name}: from.where`, true)
      return flow<E, E>({ ...def, selection: selection as Selection<RecordedEvent> })
    },
  }
}
