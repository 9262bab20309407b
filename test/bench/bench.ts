/**
 * The benchmark page. It only measures: the Node driver (run.mjs) decides what to run, in
 * which order and how often, and calls `window.brookBench` with page.evaluate.
 */
import { newEventId } from '@brook/core'
import type { Appender } from './appender.ts'
import { deleteBrookDatabase, openBrookAppender } from './brook-store.ts'
import type {
  AppendSpec,
  CatchUpJank,
  CepCaseKey,
  CepMeasurement,
  ConsumerMeasurement,
  LatencySpec,
  Measurement,
  PageInfo,
  RawWorkerMeasurement,
  ReadSpec,
  SeenSample,
  SentSample,
} from './cases.ts'
import { cepCatchUp, prefillReadings } from './cep.ts'
import { catchUpJank, consumerCatchUp, projectionRebuild, rawWorkerRead } from './consumers.ts'
import * as latency from './latency.ts'
import { CONSUMER_BATCH } from './fold.ts'
import { EVENT_BYTES, makeData, makeDataset } from './payload.ts'
import { deleteRawDatabase, makeRow, openRawAppender } from './raw-store.ts'
import { prefill, readLog } from './read-log.ts'
import {
  ALERT_AVERAGE,
  CEP_BATCH,
  DEVICES,
  JITTER_MS,
  OUT_OF_ORDER_MS,
  READING_PERIOD_MS,
  WINDOW_MS,
} from './readings.ts'
import { runWorkload } from './workload.ts'

export interface BenchApi {
  info(): PageInfo
  /** Runs one append case in a fresh database, deleted again afterwards. */
  append(spec: AppendSpec): Promise<Measurement>
  /** Creates a log of `events` events for `read`; returns its name. */
  prefill(events: number): Promise<string>
  read(spec: ReadSpec): Promise<Measurement>
  /** Deletes a log made by `prefill`. */
  drop(name: string): Promise<void>
  /** Consumer catch-up over a log made by `prefill` (see consumers.ts): one consumer... */
  consumer(spec: ConsumerSpec): Promise<ConsumerMeasurement>
  /** ...the same fold as a keyed projection, rebuilt from scratch... */
  projection(spec: ProjectionSpec): Promise<ConsumerMeasurement>
  /** ...the same log read raw in a worker... */
  rawWorkerRead(name: string): Promise<RawWorkerMeasurement>
  /** ...and several consumers at once, watching the main thread. */
  consumerJank(spec: ConsumerJankSpec): Promise<CatchUpJank>
  /** Creates a log of `events` readings for `cep` (readings.ts); returns its name. */
  prefillReadings(events: number): Promise<string>
  /** A CEP case over it (cep.ts): the plain fold, or the sliding-window pipeline. */
  cep(spec: CepSpec): Promise<CepMeasurement>
  /** Latency between two tabs (see latency.ts): the driver calls these on tab B... */
  latencyListen(spec: LatencySpec): Promise<void>
  latencyCollect(): Promise<SeenSample[]>
  /** ...and these on tab A. */
  latencySend(spec: LatencySpec): Promise<SentSample[]>
  latencyDrop(name: string): Promise<void>
  /** Whether this tab counts as visible and focused, and how late (ms) a 10 ms timer fires at worst. */
  tabState(): Promise<TabState>
}

export interface ConsumerSpec {
  /** The log (store name) and its length. */
  name: string
  events: number
  consumer: string
}

export interface ProjectionSpec {
  name: string
  events: number
  /** The projection's name (its consumer is `projection:<name>@1`). */
  projection: string
}

export interface ConsumerJankSpec {
  name: string
  events: number
  consumers: string[]
}

export interface CepSpec {
  /** The readings log (store name) and how many readings it has. */
  name: string
  events: number
  key: CepCaseKey
}

export interface TabState {
  visibility: DocumentVisibilityState
  focused: boolean
  timerLateMs: number
}

declare global {
  interface Window {
    brookBench?: BenchApi
  }
}

let counter = 0
// Fresh names per case: no case inherits another's data, file size or compaction debt.
const freshName = (what: string) => `bench-${what}-${Date.now().toString(36)}-${++counter}`

async function append(spec: AppendSpec): Promise<Measurement> {
  const name = freshName(`${spec.impl}-${spec.shape.kind}`)
  const data = makeDataset(spec.events)
  const open = spec.impl === 'raw' ? openRawAppender : openBrookAppender
  const appender: Appender = await open(name, spec.durability)
  try {
    return await runWorkload(appender, spec.shape, data, spec.capMs)
  } finally {
    await appender.close()
    await (spec.impl === 'raw' ? deleteRawDatabase(name) : deleteBrookDatabase(name))
  }
}

window.brookBench = {
  info: () => ({
    userAgent: navigator.userAgent,
    eventBytes: EVENT_BYTES,
    rowBytes: JSON.stringify(makeRow('stream-0', 1, 1, makeData(0), Date.now(), newEventId())).length,
    consumerBatch: CONSUMER_BATCH,
    cep: {
      devices: DEVICES,
      batchSize: CEP_BATCH,
      readingPeriodMs: READING_PERIOD_MS,
      jitterMs: JITTER_MS,
      windowMs: WINDOW_MS,
      outOfOrderMs: OUT_OF_ORDER_MS,
      alertAverage: ALERT_AVERAGE,
    },
  }),
  append,
  async prefill(events) {
    const name = freshName('read')
    await prefill(name, events)
    return name
  },
  read: (spec) => readLog(spec.impl, spec.name),
  drop: (name) => deleteBrookDatabase(name),
  consumer: (spec) => consumerCatchUp(spec.name, spec.events, spec.consumer),
  projection: (spec) => projectionRebuild(spec.name, spec.events, spec.projection),
  rawWorkerRead,
  consumerJank: (spec) => catchUpJank(spec.name, spec.events, spec.consumers),
  async prefillReadings(events) {
    const name = freshName('readings')
    await prefillReadings(name, events)
    return name
  },
  cep: (spec) => cepCatchUp(spec.name, spec.events, spec.key),
  latencyListen: latency.listen,
  latencyCollect: latency.collect,
  latencySend: latency.send,
  latencyDrop: latency.drop,
  async tabState() {
    // A throttled (background) tab runs timers late, aligned to 1 s wake-ups. 10 ms timers,
    // not 0 ms ones: a chain of those is clamped to 4 ms even in the foreground.
    const lates: number[] = []
    for (let i = 0; i < 5; i++) {
      const start = performance.now()
      await new Promise((resolve) => setTimeout(resolve, 10))
      lates.push(performance.now() - start - 10)
    }
    return { visibility: document.visibilityState, focused: document.hasFocus(), timerLateMs: Math.max(...lates) }
  },
}
