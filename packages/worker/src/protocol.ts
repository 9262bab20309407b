/** What a consumer instance is doing. */
/**
 * What a consumer instance is doing. `stalled`: on standby while the running instance (in
 * another tab) has shown no sign of life for a while with work waiting; it takes over.
 */
export type ConsumerState = 'starting' | 'standby' | 'stalled' | 'running' | 'paused' | 'stopped' | 'failed'

/** One consumer instance (one partition) as its worker reports it. */
export interface ConsumerStatus {
  name: string
  partition: number
  partitions: number
  /** Checkpoint: every event at or below it has been handled. */
  position: number
  head: number
  lag: number
  state: ConsumerState
  /** Events handled per second, recently. */
  rate: number
  parked: number
  /** Why the consumer failed or stopped, when it did. */
  error?: string
}

/** Sent by the page when it starts a worker. */
export interface StartConfig {
  partition: number
  partitions: number
  /** Overrides the definition's store name (tests, multi-tenant apps). */
  store?: string
}

/**
 * The API a consumer worker exposes over Comlink. Versioned: a page and a worker built from
 * different releases refuse to talk rather than misread each other.
 */
export interface ConsumerWorkerApi {
  readonly protocol: number
  start(config: StartConfig, onProgress?: (status: ConsumerStatus) => void): Promise<void>
  status(): Promise<ConsumerStatus>
  pause(): Promise<void>
  resume(): Promise<void>
  reset(position: number | 'start'): Promise<void>
  parked(): Promise<{ position: number; type: string; stream: string; error: string; attempts: number }[]>
  replayParked(): Promise<number>
  stop(): Promise<void>
}

export const CONSUMER_PROTOCOL: number = 1
