/** What the Node driver asks the page to run, and what the page answers. */

export type Durability = 'strict' | 'relaxed'

/** Which implementation a case measures. */
export type Impl = 'raw' | 'brook'

/**
 * How events reach the store:
 * - `single`: one event per call, each awaited before the next.
 * - `concurrent`: `workers` loops run at once, each doing `single` on its own stream.
 * - `batch`: `size` events per call (one transaction), each call awaited.
 */
export type Shape = { kind: 'single' } | { kind: 'concurrent'; workers: number } | { kind: 'batch'; size: number }

export interface AppendSpec {
  impl: Impl
  shape: Shape
  durability: Durability
  /** Events to write (a multiple of the batch size for `batch`). */
  events: number
  /** Stop early, between calls, once this much time has passed: a slow disk must not stall the run. */
  capMs: number
}

/**
 * How a log is read back: Brook's `read()`, raw getAll pages, a raw cursor, or a Brook
 * subscription from `'start'` (catch-up: timed until the log's last event was delivered).
 */
export type ReadImpl = 'brook' | 'raw-getall' | 'raw-cursor' | 'brook-subscribe'

export interface ReadSpec {
  impl: ReadImpl
  /** A log filled by `prefill`. */
  name: string
}

/**
 * The path an event takes from tab A to tab B in the latency cases:
 * - `brook`: `append` in A, `subscribe({ from: 'end' })` handler in B.
 * - `floor`: the least any store can do: a one-event strict readwrite transaction in A,
 *   committed; then a BroadcastChannel message A->B; then a `get` of that key in B.
 * - `bc`: the BroadcastChannel message alone.
 * - `lit`: `append` in A; a keyed projection (projections.ts, `latestProjection`) built in a
 *   worker started in A; a Lit element in B showing that stream's state through
 *   `ProjectionController`, seen in its `updated()`.
 */
export type LatencyPath = 'brook' | 'floor' | 'bc' | 'lit'

export interface LatencySpec {
  path: LatencyPath
  /** Store name (Brook: `brook:name`, floor: `raw:name`), shared by both tabs. */
  name: string
  /** Events to send, one at a time: each waits until tab B saw the previous one. */
  events: number
}

/**
 * Tab A's side of one event. Times are `performance.timeOrigin + performance.now()`, ms,
 * comparable between the two tabs.
 */
export interface SentSample {
  seq: number
  sentAt: number
  /** The write was done: Brook's `append` resolved, the raw transaction completed, the message posted. */
  writtenAt: number
  /** Tab B's acknowledgement came back (one BroadcastChannel hop after `seenAt`). */
  ackedAt: number
}

/** Tab B's side of one event. */
export interface SeenSample {
  seq: number
  /** As carried in the event (Brook, lit: in `data`, via the projection's state; floor and bc: in the message). */
  sentAt: number
  /**
   * The handler ran (Brook), the `get` succeeded (floor), the message arrived (bc), the Lit
   * element's `updated()` ran with the event's state (lit).
   */
  seenAt: number
  /**
   * When the notice reached tab B: Brook's head notice (heard on its channel), the floor's
   * message. Absent for bc, and for a Brook event no notice announced (found by a poll).
   */
  noticedAt?: number
  /** Lit only: when the projection's change notice for the event's position reached tab B. */
  changedAt?: number
}

/** One timed run. */
export interface Measurement {
  events: number
  ms: number
}

/** Facts about the page, for the report. */
export interface PageInfo {
  userAgent: string
  eventBytes: number
  /** Bytes of one stored row (a RecordedEvent) as JSON, for scale. */
  rowBytes: number
  /** The fold consumer's batchSize (fold.ts). */
  consumerBatch: number
  /** The CEP cases' log and pipeline (readings.ts). */
  cep: {
    devices: number
    batchSize: number
    readingPeriodMs: number
    jitterMs: number
    windowMs: number
    outOfOrderMs: number
    alertAverage: number
  }
}

/** The page asks the raw read worker (raw-read.worker.ts) to read database `db`... */
export interface RawWorkerRequest {
  db: string
}

/** ...and it answers with its own clock's split: opening the database, then reading. */
export type RawWorkerReply = { events: number; openMs: number; readMs: number } | { error: string }

/**
 * The raw read in a worker, timed on the page from `new Worker` until the answer arrived
 * (`ms`): the consumer's clock covers its worker's start too.
 */
export interface RawWorkerMeasurement extends Measurement {
  /** In the worker: opening the database, then reading it whole. */
  openMs: number
  readMs: number
}

/**
 * One consumer catching up from an empty checkpoint, timed on the page from the call to
 * `startConsumer` (`ms`: until `onProgress` reported the checkpoint at the log's head).
 */
export interface ConsumerMeasurement extends Measurement {
  name: string
  /** startConsumer resolved: the worker runs, its store and state are open. */
  startedMs: number
  /** The first progress report in state `running`: it holds the lease and starts reading. */
  runningMs: number
  /** Keys in its state at the end (the fold's size). */
  stateKeys: number
}

/**
 * The CEP cases over the readings log (cep.ts): the plain fold consumer, the sliding-window
 * pipeline emitting nothing, and the same pipeline appending one event per window.
 */
export type CepCaseKey = 'plain' | 'cep' | 'cep-emit'

/**
 * What the pipeline keeps at the head (its `consumerState` rows, read back with raw
 * IndexedDB once it stopped), sizes as UTF-8 JSON of the values.
 */
export interface WindowState {
  /** All its rows: `g`, the `s:<device>` rows, `late` if any. */
  bytes: number
  /** The `s:<device>` rows alone: the open windows' items. */
  keyBytes: number
  /** `g`: the greatest event time and a timer per key. */
  globalBytes: number
  keys: number
  timers: number
  /** Readings kept for windows (all keys)... */
  items: number
  /** ...and windows not fired yet (their end is past the watermark). */
  pending: number
}

/** One run of a CEP case, timed as {@link ConsumerMeasurement}; `events` are the readings. */
export interface CepMeasurement extends ConsumerMeasurement {
  key: CepCaseKey
  /** Events it appended (checked: one per window fired by the end, or none). */
  emitted: number
  /** The pipeline's state at the end (not for `plain`). */
  window?: WindowState
}

/** A long task on the page's main thread (PerformanceObserver 'longtask'), ms from the window's start. */
export interface LongTask {
  startTime: number
  duration: number
}

/**
 * Several consumers catching up at once while the page watches its main thread, from just
 * before the first `startConsumer` call until the last consumer reached the head (`ms`).
 * `events` is per consumer.
 */
export interface CatchUpJank extends Measurement {
  consumers: ConsumerMeasurement[]
  longTasks: LongTask[]
  /** How late a chain of 10 ms timers on the page fired at worst, and at the 99th percentile. */
  timerLateMaxMs: number
  timerLateP99Ms: number
  timerTicks: number
  /** The timer ticks more than 50 ms late: when (ms from the window's start) and how late. */
  timerStalls: { startTime: number; lateMs: number }[]
  /** A 60 ms busy loop just before the window was reported as a long task: the observer works. */
  observerChecked: boolean
}
