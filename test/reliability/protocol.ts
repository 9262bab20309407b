// The messages pages and workers send to the Node-side history recorder, and the shapes of
// the workloads they run. Types only: imported by both sides.

/** One event of an operation, exactly as sent (a retry resends it unchanged). */
export interface OpEvent {
  id: string
  type: string
  data: { n: number; op: string; pad?: string }
}

/** One stream's part of an operation. */
export interface OpEntry {
  stream: string
  expected: number | 'any' | 'no-stream' | 'stream-exists'
  events: OpEvent[]
}

/** An append (one entry) or a multi-stream commit, as invoked. */
export interface Op {
  id: string
  kind: 'append' | 'commit'
  store: string
  /** The tab or worker that invoked it. */
  actor: string
  entries: OpEntry[]
}

/** What a failed call reported: typed (a BrookError code) or not (a raw error). */
export interface Failure {
  code: string
  typed: boolean
  message: string
  fields?: Record<string, unknown>
}

/** Messages to the recorder. `invoke` is awaited by the caller before it issues the call. */
export type Rec =
  | { kind: 'invoke'; op: Op; t: number }
  | { kind: 'ok'; id: string; t: number; position: number; version: number }
  | { kind: 'fail'; id: string; t: number; failure: Failure }
  | { kind: 'progress'; actor: string; t: number; state: string; position: number }

/** A workload of appends, run by a tab or a producer worker. */
export interface Workload {
  store: string
  actor: string
  /** `single`: one event per append; `batch`: `batchSize` per append; `large`: one commit of `count` over two streams. */
  mode: 'single' | 'batch' | 'large'
  count: number
  batchSize?: number
  streams: number
  /** Appends in flight at once (group commit groups them). */
  concurrency: number
  /** Stream name prefix (default 's'). */
  prefix?: string
  /** Bytes of padding per event. */
  pad?: number
  /** Keep going until stopped (soak); `count` is then per round. */
  loop?: boolean
}
