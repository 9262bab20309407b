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

/** How a log is read back. */
export type ReadImpl = 'brook' | 'raw-getall' | 'raw-cursor'

export interface ReadSpec {
  impl: ReadImpl
  /** A log filled by `prefill`. */
  name: string
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
}
