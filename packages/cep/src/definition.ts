import type { NewEvent, RecordedEvent } from '@brook/core'
import type { Operator } from './operator.ts'

/**
 * A derived event and the stream it goes to. `meta.causationId` and `meta.correlationId` are
 * filled in by the pipeline (other `meta` keys are kept).
 *
 * @example
 * ```ts
 * const e: Emission = { stream: 'alerts-dev-1', type: 'Overheating', data: { celsius: 91 } }
 * ```
 */
export type Emission = NewEvent & { stream: string }

/**
 * What an `emit` function returns: one emission, several, or nothing (`null`/`undefined`/`false`).
 *
 * @example
 * ```ts
 * const f = (w: WindowResult<number>): Emitted => w.value > 80 && { stream: 'hot', type: 'Hot', data: { ...w } }
 * ```
 */
export type Emitted = Emission | readonly Emission[] | null | undefined | false

/**
 * An item that came too late for its operator (see the operator for what late means), with the
 * watermark it met. It is in no window and no match; it reaches `late`/`emitLate` and is
 * counted in the consumer's state under `late`.
 *
 * @example
 * ```ts
 * .late((l: LateItem<RecordedEvent>) => ({ stream: 'late-readings', type: 'ReadingTooLate', data: { id: l.event.id } }))
 * ```
 */
export interface LateItem<T> {
  item: T
  event: RecordedEvent
  key: string
  time: number
  watermark: number
}

/**
 * Which events a pipeline reads; `types`/`streams` also become the consumer's filter.
 *
 * @example
 * ```ts
 * const readings: Selection<RecordedEvent> = { types: ['Reading'], where: (e) => e.stream.startsWith('dev-') }
 * ```
 */
export interface Selection<E> {
  types?: readonly string[]
  streams?: readonly string[]
  where?: (event: E) => boolean
}

/** The untyped definition a pipeline builder accumulates (types are checked by the builder). */
export interface Definition {
  readonly name: string
  readonly selection: Selection<RecordedEvent> | undefined
  /** Steps before the operator: item and its source event to zero or more items. */
  readonly pre: readonly ((item: unknown, event: RecordedEvent) => readonly unknown[])[]
  readonly keyBy: ((item: unknown, event: RecordedEvent) => string) | undefined
  readonly op: Operator<unknown, unknown> | undefined
  /** Steps after the operator. Without an operator, `emit` gets the source event too. */
  readonly post: readonly ((item: unknown) => readonly unknown[])[]
  readonly emit: ((item: unknown, event: RecordedEvent | undefined) => Emitted) | undefined
  readonly late: ((late: LateItem<unknown>) => Emitted) | undefined
}
