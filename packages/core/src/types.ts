import type { BrookError } from './errors.ts'
import type { Position } from './position.ts'

/** A JSON value: what event `data` and `meta` may hold (see docs/decisions/0002). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }

/** An event the app wants to record. `id` (UUIDv7) is assigned when absent. */
export interface NewEvent<T extends string = string, D = unknown> {
  type: T
  data: D
  /** Idempotency key: re-appending a recorded id with the same content is a no-op. */
  id?: string
  meta?: Record<string, unknown>
}

/** An event as the log holds it. */
export interface RecordedEvent<T extends string = string, D = unknown> {
  id: string
  stream: string
  /** 1-based, gap-free per stream. */
  version: number
  /** 1-based, gap-free per log, in commit order. */
  position: Position
  type: T
  data: D
  meta: Record<string, unknown>
  /** The recorder's clock (ms since the epoch). Metadata only: order is `position`. */
  time: number
  /** Id of the replica (browser profile, or memory store) that first recorded the event. */
  origin: string
}

/**
 * What the stream's version must be for an append to go ahead:
 * a number (exact version; 0 = no stream), `'any'` (default), `'no-stream'`, `'stream-exists'`.
 */
export type ExpectedVersion = number | 'any' | 'no-stream' | 'stream-exists'

export interface AppendOptions {
  expectedVersion?: ExpectedVersion
}

/** Result of one append: `position` and `version` are those of its last event. */
export interface AppendResult {
  position: Position
  version: number
  events: RecordedEvent[]
}

export interface CommitEntry {
  stream: string
  events: readonly NewEvent[]
  expectedVersion?: ExpectedVersion
}

/** Result of a multi-stream commit: one {@link AppendResult} per entry, in order. */
export interface CommitResult {
  /** Position of the commit's last event. */
  position: Position
  results: AppendResult[]
}

export type Direction = 'forward' | 'backward'

export interface ReadOptions {
  /** Inclusive start. Default: 1 forward, the head backward. */
  from?: number
  /** At most this many events. */
  limit?: number
  /** Only events of these types. */
  types?: readonly string[]
  direction?: Direction
}

export interface ReadStreamOptions {
  /** Inclusive start version. Default: 1 forward, the last version backward. */
  fromVersion?: number
  limit?: number
  types?: readonly string[]
  direction?: Direction
}

/** Which events a subscription delivers. Absent fields do not filter. */
export interface EventFilter {
  types?: readonly string[]
  streams?: readonly string[]
}

export interface SubscribeOptions {
  /**
   * Where to start (inclusive): a position, `'start'` (default: the whole log) or `'end'`
   * (only events appended after the subscription began).
   */
  from?: number | 'start' | 'end'
  filter?: EventFilter
  /**
   * Called once if the subscription stops on an error: the handler threw
   * (`HANDLER_FAILED`) or the store failed. Default: rethrown as an unhandled rejection.
   */
  onError?: (error: BrookError) => void
}

/** Receives events one at a time; the next event waits until a returned promise settles. */
export type EventHandler = (event: RecordedEvent) => void | Promise<void>

/** Stops a subscription; resolves once the handler will not be called again. */
export type Unsubscribe = () => Promise<void>

/**
 * The durable, ordered event log. Implemented by `openEventStore` (`@brook/idb`) and
 * {@link createMemoryEventStore}; both pass the one contract suite in `@brook/testing`.
 *
 * @example
 * ```ts
 * const { version } = await store.append('cart-1', [{ type: 'ItemAdded', data: { sku: 'a' } }], {
 *   expectedVersion: 'no-stream',
 * })
 * for await (const event of store.readStream('cart-1')) console.log(event.version, event.type)
 * ```
 */
export interface EventStore {
  readonly name: string
  /** Appends events to one stream, atomically. */
  append(stream: string, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult>
  /** Appends to several streams in one atomic commit. */
  commit(entries: readonly CommitEntry[]): Promise<CommitResult>
  /** Reads the whole log in position order. */
  read(options?: ReadOptions): AsyncIterable<RecordedEvent>
  /** Reads one stream in version order. */
  readStream(stream: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent>
  /** Position of the last event, 0 when the log is empty. */
  head(): Promise<Position>
  /** Version of a stream, 0 when it does not exist. */
  streamVersion(stream: string): Promise<number>
  /**
   * Catch-up, then live: delivers every matching event from `from` on, exactly once, in
   * position order, including events appended later by any tab or worker. A slow handler
   * slows the subscription (back-pressure); nothing is buffered beyond one page.
   */
  subscribe(options: SubscribeOptions, handler: EventHandler): Unsubscribe
  /** Releases the store; later calls reject with `STORE_CLOSED`. */
  close(): Promise<void>
}

/**
 * A consumer's window on its own durable state inside one batch (see `runConsumer` in
 * `@brook/worker/worker`). Writes and appends are buffered and commit in ONE IndexedDB
 * transaction with the consumer's checkpoint after the batch is handled: a batch takes
 * effect entirely or not at all, so nothing is applied or emitted twice.
 *
 * @example
 * ```ts
 * async handle(batch, tx) {
 *   const seen = (await tx.get<number>('seen')) ?? 0
 *   tx.put('seen', seen + batch.length)
 *   if (seen < 100 && seen + batch.length >= 100) tx.append('milestones', [{ type: 'Reached100', data: {} }])
 * }
 * ```
 */
export interface ConsumerTx {
  /** A copy of the value under `key` (this batch's own writes included). */
  get<T extends JsonValue = JsonValue>(key: string): Promise<T | undefined>
  /** Sets `key` (JSON, checked at once). */
  put(key: string, value: unknown): void
  delete(key: string): void
  /**
   * Appends derived events to `stream`, committed with the checkpoint (so exactly once).
   * Validated at once (`VALIDATION`); ids are assigned if absent. The consumer's position
   * in the log is unaffected: derived events land after the current head.
   */
  append(stream: string, events: readonly NewEvent[]): void
}
