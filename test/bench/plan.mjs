// What the benchmark runs, how much of it, and which figures it compares against which.

/**
 * Event counts per case. `full` takes about 3.5 minutes on 2 cores (a sixth of it filling the
 * read log, a quarter the consumer cases); `quick` is a smoke run. Samples on a VM wander by
 * +-25%, so a full run takes the median of several short rounds rather than one long one.
 * The latency cases pool `latencyEvents` per path over `latencyRounds` rounds (percentiles
 * need every sample). The consumer cases fold the read log (`consumerRounds` times, a
 * consumer and the same fold as a projection rebuild beside a raw read in a worker), then
 * `jankConsumers` consumers fold it at once (`jankRounds` times). The CEP cases fill a log of
 * `cepReadings` readings from 1,000 devices, fold it plainly and run the sliding-window
 * pipeline over it (`cepRounds` times each), then the pipeline emitting (`cepEmitRuns` times):
 * 51 s of a full run on a quiet machine (17 s the fill), about twice that under heavy load.
 */
export const PROFILES = {
  full: {
    rounds: 5,
    counts: { single: 500, concurrent: 1500, batch100: 3000, batch1000: 5000 },
    readLog: 100_000,
    readRounds: 3,
    capMs: 15_000,
    latencyEvents: 1000,
    latencyRounds: 4,
    consumerRounds: 3,
    jankRounds: 2,
    jankConsumers: 3,
    cepReadings: 100_000,
    cepRounds: 2,
    cepEmitRuns: 1,
  },
  quick: {
    rounds: 1,
    counts: { single: 30, concurrent: 200, batch100: 1000, batch1000: 2000 },
    readLog: 5000,
    readRounds: 1,
    capMs: 3000,
    latencyEvents: 100,
    latencyRounds: 1,
    consumerRounds: 1,
    jankRounds: 1,
    jankConsumers: 3,
    cepReadings: 5000,
    cepRounds: 1,
    cepEmitRuns: 1,
  },
}

/** One small pass of every case first: JIT, Vite's module graph and IndexedDB's backend warm up. */
export const WARMUP_COUNTS = { single: 20, concurrent: 200, batch100: 500, batch1000: 1000 }

/** Events per latency path sent first and dropped (the same warm-up, for the two tabs). */
export const LATENCY_WARMUP = 30

export const DURABILITIES = ['strict', 'relaxed']

/** How events are written (the page's `Shape`, see cases.ts), with their report labels. */
export const WORKLOADS = [
  { key: 'single', label: 'one event per call', shape: { kind: 'single' } },
  { key: 'concurrent', label: '100 concurrent one-event callers', shape: { kind: 'concurrent', workers: 100 } },
  { key: 'batch100', label: 'batches of 100', shape: { kind: 'batch', size: 100 } },
  { key: 'batch1000', label: 'batches of 1,000', shape: { kind: 'batch', size: 1000 } },
]

export const READERS = [
  { key: 'raw-getall', impl: 'raw', label: 'raw getAll, pages of 1,000' },
  { key: 'brook', impl: 'brook', label: 'Brook read()' },
  { key: 'raw-cursor', impl: 'raw', label: 'raw cursor, one transaction' },
  { key: 'brook-subscribe', impl: 'brook', label: "Brook subscribe({ from: 'start' })" },
]

/**
 * Each figure beside the raw figure it must be judged against. Raw "one event per
 * call" is one transaction per event: the baseline group commit exists to beat. A target is
 * a ratio Brook/raw; `undefined` means the figure is informational.
 */
export const COMPARISONS = [
  { brook: 'single', raw: 'single', target: () => undefined },
  { brook: 'concurrent', raw: 'single', target: (durability) => (durability === 'strict' ? 5 : undefined) },
  { brook: 'batch100', raw: 'batch100', target: () => 0.9 },
  { brook: 'batch1000', raw: 'batch1000', target: () => 0.9 },
]

/**
 * Raw against raw, for scale: how much batching alone buys on this machine. 100 concurrent
 * callers can at best become batches of 100, so raw batches of 100 over raw one-per-call
 * bound the concurrent ratio above (low when fsync is cheap and per-row work dominates).
 */
export const RAW_CEILINGS = [{ numerator: 'batch100', denominator: 'single' }]

/** Reads, as COMPARISONS: Brook's rate over a raw reader's over the same log. */
export const READ_COMPARISONS = [
  { label: 'Brook read() / raw getAll pages', brook: 'brook', raw: 'raw-getall', target: 0.8 },
  { label: 'Brook subscribe() catch-up / raw getAll pages', brook: 'brook-subscribe', raw: 'raw-getall' },
  { label: 'Brook subscribe() catch-up / raw cursor', brook: 'brook-subscribe', raw: 'raw-cursor' },
]

/**
 * The cases of the consumer rounds, all in a worker over the read log (the page's
 * `consumer`, `projection` and `rawWorkerRead`, see consumers.ts), with their labels in
 * results and progress lines.
 */
export const CONSUMER_CASES = [
  { key: 'consumer', impl: 'brook', label: 'consumer (fold.consumer.ts)', progress: 'consumer fold, batches of' },
  {
    key: 'projection',
    impl: 'brook',
    label: 'keyed projection rebuild (fold.projection.ts)',
    progress: 'projection rebuild, batches of',
  },
  { key: 'raw-worker', impl: 'raw', label: 'raw getAll pages of 1,000 in a worker', progress: undefined },
]

/**
 * Consumer catch-up and projection rebuild against each other and the raw read they are
 * built on (keys of CONSUMER_CASES). `total` is timed from `startConsumer()` / `new Worker`
 * on the page; `alone` leaves the start-up out: a consumer or projection from its first
 * `running` report, the raw read as timed inside its worker.
 */
export const CONSUMER_COMPARISONS = [
  {
    label: 'consumer catch-up / raw getAll pages in a worker',
    brook: 'consumer',
    raw: 'raw-worker',
    part: 'total',
    target: 0.7,
  },
  { label: 'the same, start-up left out on both sides', brook: 'consumer', raw: 'raw-worker', part: 'alone' },
  { label: 'projection rebuild / consumer catch-up (same fold)', brook: 'projection', raw: 'consumer', part: 'total' },
  { label: 'the same, start-up left out on both sides', brook: 'projection', raw: 'consumer', part: 'alone' },
  { label: 'projection rebuild / raw getAll pages in a worker', brook: 'projection', raw: 'raw-worker', part: 'total' },
]

/**
 * The CEP cases over a log of readings (the page's `cep`, see cep.ts), with their labels (in
 * results, in progress lines):
 * the plain fold consumer is the baseline; the pipeline computes a sliding 60 s average per
 * device, appending nothing, or appending an alert for each window over a threshold.
 */
export const CEP_CASES = [
  { key: 'plain', label: 'plain consumer: fold per device (fold.consumer.ts)', progress: 'plain fold per device' },
  {
    key: 'cep',
    label: 'CEP: sliding 60 s avg per device, no emit (cep.consumer.ts)',
    progress: 'CEP sliding avg, no emit',
  },
  {
    key: 'cep-emit',
    label: 'CEP: the same, emitting alerts (avg >= threshold)',
    progress: 'CEP sliding avg, emitting alerts',
  },
]

/** The pipeline beside the plain consumer over the same log (keys of CEP_CASES); parts as CONSUMER_COMPARISONS. */
export const CEP_COMPARISONS = [
  {
    label: 'CEP sliding avg catch-up / plain consumer (same log)',
    brook: 'cep',
    raw: 'plain',
    part: 'total',
    target: 0.5,
  },
  { label: 'the same, start-up left out on both sides', brook: 'cep', raw: 'plain', part: 'alone' },
  { label: 'CEP emitting alerts / plain consumer', brook: 'cep-emit', raw: 'plain', part: 'total' },
]

/** While consumers catch up, the page's main thread must run no task longer than this (ms). */
export const LONG_TASK_LIMIT_MS = 50

/**
 * The ways an event goes from tab A to tab B (the page's `LatencyPath`, see cases.ts), with
 * the parts of each timed on the way (keys of a sample, see latencyRun in run.mjs). The
 * notice splits a latency in two; `write` is timed in A alone (Brook posts its notice
 * before append() resolves, so it is no part of the sum).
 */
export const LATENCY_PATHS = [
  {
    key: 'brook',
    label: 'Brook: append() in A -> subscribe() handler in B',
    parts: [
      { key: 'noticed', label: 'of which until the head notice reached B' },
      { key: 'afterNotice', label: 'of which from the notice to the handler in B' },
      { key: 'write', label: 'append() in A, until it resolved' },
    ],
  },
  {
    key: 'floor',
    label: 'floor: raw strict write in A -> BroadcastChannel -> raw get in B',
    parts: [
      { key: 'noticed', label: 'of which until the notice reached B' },
      { key: 'afterNotice', label: "of which from the notice to the get's success in B" },
      { key: 'write', label: 'the write in A, until complete' },
    ],
  },
  {
    key: 'bc',
    label: 'raw BroadcastChannel message A -> B',
    parts: [{ key: 'halfRoundTrip', label: 'round trip A -> B -> A, halved (clock check)' }],
  },
  {
    key: 'lit',
    label: 'Brook: append() in A -> projection -> Lit element updated() in B',
    parts: [
      { key: 'noticed', label: 'of which until the head notice reached B (and the builder)' },
      { key: 'changed', label: "of which until the projection's change notice reached B" },
      { key: 'afterChange', label: 'of which from the change notice to updated() in B' },
      { key: 'write', label: 'append() in A, until it resolved' },
    ],
  },
]

/** Brook's latency over the floor's, at a percentile: at most `target` (from the brief). */
export const LATENCY_TARGETS = [
  { percentile: 50, target: 1.5 },
  { percentile: 99, target: 3 },
]

/**
 * The Lit path beside the paths it is built on, at each percentile: over a subscription
 * (Brook's own write-to-visible) and over the raw floor. Informational: no target.
 */
export const LIT_COMPARISONS = [
  { label: 'Lit render / subscribe() handler', over: 'brook' },
  { label: 'Lit render / raw floor', over: 'floor' },
]

/** The key of an append case in results: `impl:workload:durability`. */
export const appendKey = (impl, workload, durability) => `${impl}:${workload}:${durability}`

/**
 * The parts of a run, in the order they run (`--cases append,latency,read` picks some).
 * `read`, `consumers` and `jank` share one filled log; `sizes` builds the packages.
 */
export const CASES = [
  { key: 'sizes', label: 'package and bundle sizes' },
  { key: 'append', label: 'append throughput' },
  { key: 'latency', label: 'write-to-visible latency between two tabs' },
  { key: 'read', label: 'sequential reads' },
  { key: 'consumers', label: 'consumer catch-up and projection rebuild' },
  { key: 'jank', label: 'main thread while consumers catch up' },
  { key: 'cep', label: 'CEP pipeline' },
]

const NO_LONG_TASKS =
  "needs PerformanceObserver 'longtask' (Chromium only): elsewhere none is ever reported, so it would pass whatever happened"

/** What each engine leaves out of a run (keys of CASES), and why: printed with the report. */
export const LEFT_OUT_BY_ENGINE = {
  chromium: {},
  firefox: { jank: NO_LONG_TASKS },
  webkit: { jank: NO_LONG_TASKS },
}

/**
 * The cases a run takes: `requested` (keys of CASES; all when undefined) less what the engine
 * leaves out. Returns `{ ran, leftOut }`: keys, and `{ key, why }` for each left out.
 */
export function selectCases(engine, requested) {
  const unknown = (requested ?? []).filter((key) => !CASES.some((c) => c.key === key))
  if (unknown.length > 0) {
    throw new Error(`--cases names unknown cases: ${unknown.join(', ')} (known: ${CASES.map((c) => c.key).join(', ')})`)
  }
  const ran = []
  const leftOut = []
  for (const { key } of CASES) {
    const why = requested !== undefined && !requested.includes(key) ? 'not in --cases' : LEFT_OUT_BY_ENGINE[engine][key]
    if (why === undefined) ran.push(key)
    else leftOut.push({ key, why })
  }
  return { ran, leftOut }
}
