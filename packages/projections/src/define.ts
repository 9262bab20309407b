import * as v from 'valibot'
import { copyJson, parse, toPlainJson, type JsonValue, type RecordedEvent } from '@brook/core'

/** Event types a projection handles, each with the shape of its `data`. */
export type EventMap = Record<string, unknown>

/** The events a projection over `M` receives. */
export type EventOf<M extends EventMap> = { [T in keyof M & string]: RecordedEvent<T, M[T]> }[keyof M & string]

/** One fold step per event type: a pure function from the state and the event to the next state. */
export type Handlers<S, M extends EventMap> = {
  [T in keyof M & string]?: (state: S, event: RecordedEvent<T, M[T]>) => S
}

export interface ProjectionDefinition<S, M extends EventMap> {
  /** Unique per store; names the projection's consumer and its state. */
  name: string
  /** Bump it when `on`, `key` or `initial` change meaning: the projection is rebuilt from the log. */
  version: number
  /** The state before any event (per key, for a keyed projection). JSON. */
  initial: S
  on: Handlers<S, M>
  /**
   * Makes the projection keyed: one state per key (a read model per cart, per device…).
   * Events for which it returns `undefined` are skipped.
   */
  key?: (event: EventOf<M>) => string | undefined
  /** Writes a snapshot every this many log positions, to rebuild and time-travel from. */
  snapshotEvery?: number
}

/** A defined projection: its definition, checked, plus what runners and readers need. */
export interface Projection<S = unknown, M extends EventMap = EventMap> {
  readonly name: string
  readonly version: number
  readonly initial: S
  readonly keyed: boolean
  readonly snapshotEvery: number | undefined
  /** The event types it folds (its consumer's filter). */
  readonly types: readonly string[]
  /** The state key an event folds into (`''` when unkeyed), or `undefined` to skip it. */
  keyOf(event: RecordedEvent): string | undefined
  /** One fold step; events of other types leave the state as it is. */
  apply(state: S, event: RecordedEvent): S
  /** A fresh copy of `initial`: a handler that mutates its state in place must not change it. */
  fresh(): S
  /** Type-level only (never set): the events it folds, for typed helpers. */
  readonly __events?: M
}

const DefinitionSchema = v.strictObject({
  name: v.pipe(v.string(), v.minLength(1), v.maxLength(150), v.regex(/^[^@#]*$/, 'must not contain @ or #')),
  version: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
  initial: v.unknown(),
  on: v.record(
    v.string(),
    v.custom<(s: unknown, e: unknown) => unknown>((f) => typeof f === 'function', 'must be a function'),
  ),
  key: v.optional(v.custom<(e: unknown) => unknown>((f) => typeof f === 'function', 'must be a function')),
  snapshotEvery: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(100))),
})

/**
 * Defines a projection: a pure fold of the log into a read model. Share the definition
 * between the worker that runs it (`runProjection`) and the pages that read it
 * (`openProjection`, `ProjectionController`).
 *
 * @example
 * ```ts
 * type CartEvents = { ItemAdded: { price: number }; CartCleared: Record<string, never> }
 * export const carts = defineProjection<{ items: number; total: number }, CartEvents>({
 *   name: 'carts',
 *   version: 1,
 *   initial: { items: 0, total: 0 },
 *   key: (e) => e.stream,
 *   on: {
 *     ItemAdded: (s, e) => ({ items: s.items + 1, total: s.total + e.data.price }),
 *     CartCleared: () => ({ items: 0, total: 0 }),
 *   },
 * })
 * ```
 */
export function defineProjection<S, M extends EventMap = EventMap>(
  definition: ProjectionDefinition<S, M>,
): Projection<S, M> {
  parse(DefinitionSchema, definition, 'definition')
  const initial = toPlainJson(definition.initial, 'definition.initial') as S
  // Own handlers only: an event type such as `toString` or `__proto__` must not reach
  // Object.prototype's members.
  const on = Object.assign(Object.create(null), definition.on) as Record<
    string,
    ((s: S, e: RecordedEvent) => S) | undefined
  >
  const key = definition.key as ((e: RecordedEvent) => string | undefined) | undefined
  return {
    name: definition.name,
    version: definition.version,
    initial,
    keyed: key !== undefined,
    snapshotEvery: definition.snapshotEvery,
    types: Object.keys(definition.on),
    keyOf: (event) => (on[event.type] === undefined ? undefined : key === undefined ? '' : key(event)),
    fresh: () => copyJson(initial as JsonValue) as S,
    // Not checked to be JSON here: the runner checks each key once per batch when it stores it.
    apply(state, event) {
      const step = on[event.type]
      return step === undefined ? state : step(state, event)
    },
  }
}

/**
 * The reference fold: what a projection's state is after `events`, computed in memory.
 * Keyed projections give one entry per key; an unkeyed one, a single entry under `''`.
 *
 * @example
 * ```ts
 * const states = foldEvents(carts, events) // Map { 'cart-1' => { items: 2, total: 30 } }
 * ```
 */
export function foldEvents<S>(
  projection: Projection<S, EventMap>,
  events: Iterable<RecordedEvent>,
  from: ReadonlyMap<string, S> = new Map(),
): Map<string, S> {
  const states = new Map(from)
  for (const e of events) {
    const k = projection.keyOf(e)
    if (k === undefined) continue
    states.set(k, projection.apply(states.get(k) ?? projection.fresh(), e))
  }
  return states
}

/**
 * Folds one batch into the states it touches: each key is read once (`read`, absent = the
 * initial state) however many events it folds. Resolves with the touched keys' new states.
 * The runner stores them with the checkpoint; tests compare any batching to {@link foldEvents}.
 *
 * @example
 * ```ts
 * const changed = await foldBatch(carts, batch, (key) => tx.get(`s:${key}`))
 * ```
 */
export async function foldBatch<S>(
  projection: Projection<S, EventMap>,
  batch: readonly RecordedEvent[],
  read: (key: string) => Promise<S | undefined>,
): Promise<Map<string, S>> {
  const touched = new Map<string, S>()
  for (const e of batch) {
    const k = projection.keyOf(e)
    if (k === undefined) continue
    const state = touched.get(k) ?? (await read(k)) ?? projection.fresh()
    touched.set(k, projection.apply(state, e))
  }
  return touched
}
