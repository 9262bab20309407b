#!/usr/bin/env node
// `pnpm bench [--quick] [--browser chromium|firefox|webkit] [--cases append,latency,...]`:
// Brook against raw IndexedDB in one browser engine (headless Chromium unless told), same
// events, same engine, same run, plus the packages' download sizes. Prints tables and writes
// every sample to test/bench/results/<timestamp>.json. Never fails on a figure: exit 0
// unless it crashed. WebKit needs an X display: `xvfb-run -a pnpm bench --browser webkit`.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { allEngines } from '../engines.mjs'
import { openBenchPage } from './browser.mjs'
import { describeMachine } from './machine.mjs'
import {
  appendKey,
  CEP_CASES,
  CEP_COMPARISONS,
  COMPARISONS,
  CONSUMER_CASES,
  CONSUMER_COMPARISONS,
  DURABILITIES,
  LATENCY_PATHS,
  LATENCY_TARGETS,
  LATENCY_WARMUP,
  LIT_COMPARISONS,
  LONG_TASK_LIMIT_MS,
  PROFILES,
  RAW_CEILINGS,
  READ_COMPARISONS,
  READERS,
  selectCases,
  WARMUP_COUNTS,
  WORKLOADS,
} from './plan.mjs'
import { printReport } from './print.mjs'
import {
  formatBytes,
  formatMs,
  formatRate,
  percentile,
  summarise,
  summariseLatency,
  summariseValues,
  verdict,
  verdictAtMost,
} from './report.mjs'
import { measureSizes } from './sizes.mjs'

const benchDir = import.meta.dirname
const repoRoot = join(benchDir, '..', '..')
const quick = process.argv.includes('--quick')
const profile = quick ? PROFILES.quick : PROFILES.full
const engine = option('--browser') ?? 'chromium'
if (!allEngines.includes(engine)) throw new Error(`--browser takes one of ${allEngines.join(', ')}, not ${engine}`)
const cases = selectCases(
  engine,
  option('--cases')
    ?.split(',')
    .map((key) => key.trim()),
)
const runs = (key) => cases.ran.includes(key)
const startedAt = new Date()
const started = performance.now()
/** Seconds each part of the run took, for the run-time budget. */
const phases = {}
async function phase(key, work) {
  const start = performance.now()
  try {
    return await work()
  } finally {
    phases[key] = Math.round((performance.now() - start) / 100) / 10
  }
}

// The default run's first line as it always was; another engine is named.
const where = engine === 'chromium' ? '' : ` in ${engine}`
console.log(`Brook benchmark${where} (${quick ? 'quick smoke run: figures are not meaningful' : 'full'})`)
for (const { key, why } of cases.leftOut) console.log(`leaving out ${key}: ${why}`)
const machine = describeMachine()

// The build and bundling load both cores. A full run does them first, alone, so they do not
// disturb the timed cases; a quick run overlaps them to stay short.
const measuringSizes = runs('sizes')
  ? measureSizes(repoRoot, benchDir).catch((err) => ({ error: String(err?.stack ?? err) }))
  : Promise.resolve(undefined)
if (!quick && runs('sizes')) {
  console.log('building packages and bundling for sizes...')
  await phase('sizes', () => measuringSizes)
}

const appendSamples = new Map()
const readSamples = new Map()
const latencySamples = new Map()
const consumerSamples = { consumer: [], projection: [], 'raw-worker': [], jank: [] }
const cepSamples = Object.fromEntries(CEP_CASES.map((c) => [c.key, []]))
let tabs
const { page, openTab, browser, close } = await openBenchPage(engine)
let info, clockStepMs
try {
  info = await page.evaluate(() => window.brookBench.info())
  clockStepMs = await page.evaluate(clockStep)
  if (runs('append')) {
    console.log('warm-up...')
    await phase('append', async () => {
      await appendRound(WARMUP_COUNTS, 0, undefined)
      for (let round = 0; round < profile.rounds; round++) await appendRound(profile.counts, round, appendSamples)
    })
  }
  // Before the read cases, as a precaution: filling and deleting their log is the run's
  // heaviest storage work, and any aftermath (compaction) would fall on one latency path.
  if (runs('latency')) await phase('latency', latencyRounds)
  if (runs('read') || runs('consumers') || runs('jank')) await readRounds()
  if (runs('cep')) await cepRounds()
} finally {
  await close()
}
const sizes = await measuringSizes

/** Reads `--name value` or `--name=value` from the command line. */
function option(name) {
  const args = process.argv.slice(2)
  const at = args.indexOf(name)
  if (at !== -1) return args[at + 1]
  return args.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1)
}

/**
 * Runs in the page: the smallest step of performance.now(), ms. Latencies are a few ms, so
 * the report must say how finely they were timed (engines round the clock differently).
 */
function clockStep() {
  let step = Infinity
  let last = performance.now()
  for (let i = 0; i < 1_000_000 && step > 0.001; i++) {
    const now = performance.now()
    if (now !== last) step = Math.min(step, now - last)
    last = now
  }
  return Math.round(step * 1000) / 1000
}

/**
 * One pass over every append case. Raw and Brook alternate case by case, and which goes
 * first flips each round (as does the durability order), so slow drift of the machine
 * (page cache, disk, thermal) falls on both sides evenly.
 */
async function appendRound(counts, round, samples) {
  const impls = round % 2 === 0 ? ['raw', 'brook'] : ['brook', 'raw']
  const durabilities = round % 2 === 0 ? DURABILITIES : [...DURABILITIES].reverse()
  for (const durability of durabilities) {
    for (const workload of WORKLOADS) {
      for (const impl of impls) {
        const spec = { impl, shape: workload.shape, durability, events: counts[workload.key], capMs: profile.capMs }
        const m = await page.evaluate((s) => window.brookBench.append(s), spec)
        // Warm-up samples (no `samples` map) are dropped.
        if (samples === undefined) continue
        push(samples, appendKey(impl, workload.key, durability), m)
        progress(`round ${round + 1}/${profile.rounds}`, durability, impl, workload.label, m)
      }
    }
  }
}

/**
 * Fills one log, then reads it whole with each reader in turn, alternating as above; then
 * the consumer cases over the same log.
 */
async function readRounds() {
  console.log(`filling a log of ${profile.readLog.toLocaleString('en-US')} events for the read cases...`)
  const name = await phase('fill', () => page.evaluate((n) => window.brookBench.prefill(n), profile.readLog))
  const reading = performance.now()
  try {
    // One unmeasured pass: the first read after a large fill pays for compaction and cold caches.
    await page.evaluate((s) => window.brookBench.read(s), { impl: 'raw-getall', name })
    for (let round = 0; round < (runs('read') ? profile.readRounds : 0); round++) {
      const order = round % 2 === 0 ? READERS : [...READERS].reverse()
      for (const reader of order) {
        const m = await page.evaluate((s) => window.brookBench.read(s), { impl: reader.key, name })
        if (m.events !== profile.readLog) {
          throw new Error(`${reader.label} read ${m.events} events of ${profile.readLog}`)
        }
        push(readSamples, reader.key, m)
        progress(`read ${round + 1}/${profile.readRounds}`, '', reader.impl, reader.label, m)
      }
    }
    if (runs('read')) phases.read = Math.round((performance.now() - reading) / 100) / 10
    // After the read cases: the consumers write their state into this database.
    if (runs('consumers')) await phase('consumers', () => consumerRounds(name))
    if (runs('jank')) await phase('jank', () => jankRounds(name))
  } finally {
    await page.evaluate((n) => window.brookBench.drop(n), name)
  }
}

/**
 * A consumer folds the read log from an empty checkpoint, a keyed projection with the same
 * fold is rebuilt from empty state, and a raw read of the same log runs in a worker; after
 * one unmeasured pass of each, the order rotates each round, so each case takes each place.
 */
async function consumerRounds(name) {
  const events = profile.readLog
  const runs = {
    consumer: () => page.evaluate((s) => window.brookBench.consumer(s), { name, events, consumer: 'bench-fold' }),
    projection: () => page.evaluate((s) => window.brookBench.projection(s), { name, events, projection: 'bench-fold' }),
    'raw-worker': () => page.evaluate((n) => window.brookBench.rawWorkerRead(n), name),
  }
  const labels = Object.fromEntries(
    CONSUMER_CASES.map((c) => [
      c.key,
      {
        impl: c.impl,
        label: c.progress === undefined ? 'getAll pages of 1,000 in a worker' : `${c.progress} ${info.consumerBatch}`,
      },
    ]),
  )
  const keys = CONSUMER_CASES.map((c) => c.key)
  for (const key of keys) await runs[key]()
  for (let round = 0; round < profile.consumerRounds; round++) {
    const order = keys.map((_, i) => keys[(i + round) % keys.length])
    for (const key of order) {
      const m = await runs[key]()
      if (m.events !== events) throw new Error(`${labels[key].label} handled ${m.events} events of ${events}`)
      consumerSamples[key].push(m)
      progress(`worker ${round + 1}/${profile.consumerRounds}`, '', labels[key].impl, labels[key].label, m)
    }
  }
}

/**
 * Fills a log of readings (its own store), then the plain fold consumer and the CEP pipeline
 * over it, from empty checkpoints, the order flipping each round; then the emitting pipeline,
 * last: what it appends lands in the log after the readings (see cep.ts).
 */
async function cepRounds() {
  const events = profile.cepReadings
  console.log(
    `filling a log of ${events.toLocaleString('en-US')} readings from ${info.cep.devices.toLocaleString('en-US')} ` +
      'devices for the CEP cases...',
  )
  const name = await phase('cepFill', () => page.evaluate((n) => window.brookBench.prefillReadings(n), events))
  const caseOf = (key) => CEP_CASES.find((c) => c.key === key)
  const run = async (key, step) => {
    const m = await page.evaluate((s) => window.brookBench.cep(s), { name, events, key })
    if (m.events !== events) throw new Error(`${caseOf(key).label} handled ${m.events} readings of ${events}`)
    cepSamples[key].push(m)
    const extra = m.window === undefined ? '' : `, state ${formatBytes(m.window.bytes)}`
    const emitted = key === 'cep-emit' ? `, ${m.emitted.toLocaleString('en-US')} appended` : ''
    progress(step, '', 'brook', caseOf(key).progress, m, `${extra}${emitted}`)
  }
  try {
    await phase('cep', async () => {
      const keys = ['plain', 'cep']
      for (let round = 0; round < profile.cepRounds; round++) {
        for (const key of round % 2 === 0 ? keys : [...keys].reverse()) {
          await run(key, `cep ${round + 1}/${profile.cepRounds}`)
        }
      }
      for (let i = 0; i < profile.cepEmitRuns; i++) await run('cep-emit', `cep emit ${i + 1}/${profile.cepEmitRuns}`)
    })
  } finally {
    await page.evaluate((n) => window.brookBench.drop(n), name)
  }
}

/** `jankConsumers` consumers fold the read log at once while the page watches its main thread. */
async function jankRounds(name) {
  const n = profile.jankConsumers
  const spec = { name, events: profile.readLog, consumers: Array.from({ length: n }, (_, i) => `bench-fold-${i + 1}`) }
  for (let round = 0; round < profile.jankRounds; round++) {
    const m = await page.evaluate((s) => window.brookBench.consumerJank(s), spec)
    consumerSamples.jank.push(m)
    const rate = formatRate(((m.events * n) / m.ms) * 1000)
    const longest = m.longTasks.length === 0 ? '—' : `${formatMs(Math.max(...m.longTasks.map((t) => t.duration)))} ms`
    console.log(
      `  ${`jank ${round + 1}/${profile.jankRounds}`.padEnd(11)} ${''.padEnd(7)} brook ${`${n} consumers at once`.padEnd(34)} ` +
        `${rate.padStart(9)} events/s, ${m.longTasks.length} long tasks (longest ${longest}), ` +
        `timer late up to ${formatMs(m.timerLateMaxMs)} ms`,
    )
  }
}

/**
 * Write-to-visible latency: a second tab (B) of the page in the same browser context, so
 * the same origin, IndexedDB and BroadcastChannels; the first tab (A) writes. Each path runs
 * `latencyRounds` times, the order flipping each round, and the samples are pooled.
 */
async function latencyRounds() {
  console.log('opening a second tab for the latency cases...')
  const tabB = await openTab()
  const name = `bench-latency-${Date.now().toString(36)}`
  const perRound = Math.round(profile.latencyEvents / profile.latencyRounds)
  try {
    // Headless Chromium reports both tabs visible and focused whichever is in front, and
    // Playwright launches it with background throttling off: measured both ways round, the
    // same figures. Firefox and WebKit open tab B in a window of its own (see their
    // adapters), so both stay visible. The receiving tab goes to the front anyway, and the
    // state is recorded.
    await tabB.bringToFront()
    tabs = {
      a: await page.evaluate(() => window.brookBench.tabState()),
      b: await tabB.evaluate(() => window.brookBench.tabState()),
    }
    for (const path of LATENCY_PATHS) await latencyRun(tabB, path.key, name, LATENCY_WARMUP)
    for (let round = 0; round < profile.latencyRounds; round++) {
      const order = round % 2 === 0 ? LATENCY_PATHS : [...LATENCY_PATHS].reverse()
      for (const path of order) {
        const samples = await latencyRun(tabB, path.key, name, perRound)
        latencySamples.set(path.key, [...(latencySamples.get(path.key) ?? []), ...samples])
        const ms = samples.map((s) => s.latencyMs)
        const step = `latency ${round + 1}/${profile.latencyRounds}`
        const figures = `p50 ${formatMs(percentile(ms, 50))} ms, p99 ${formatMs(percentile(ms, 99))} ms`
        console.log(`  ${step.padEnd(11)} ${''.padEnd(7)} ${path.key.padEnd(5)} ${samples.length} events, ${figures}`)
      }
    }
  } finally {
    await page.bringToFront()
    await tabB.close()
    await page.evaluate((n) => window.brookBench.latencyDrop(n), name)
  }
}

/** Sends `events` events from tab A to tab B on one path; returns one sample per event. */
async function latencyRun(tabB, path, name, events) {
  const spec = { path, name, events }
  await tabB.evaluate((s) => window.brookBench.latencyListen(s), spec)
  let sent, seen
  try {
    sent = await page.evaluate((s) => window.brookBench.latencySend(s), spec)
  } finally {
    // Also after a failure: the listener must let go of the database.
    seen = await tabB.evaluate(() => window.brookBench.latencyCollect())
  }
  if (seen.length !== sent.length)
    throw new Error(`${path}: tab A sent ${sent.length} events, tab B saw ${seen.length}`)
  const round3 = (ms) => Math.round(ms * 1000) / 1000
  return sent.map((a, i) => {
    const b = seen[i]
    if (b.seq !== a.seq) throw new Error(`${path}: tab B saw event ${b.seq} where ${a.seq} was due`)
    return {
      latencyMs: round3(b.seenAt - b.sentAt),
      write: round3(a.writtenAt - a.sentAt),
      ...(b.noticedAt === undefined
        ? {}
        : { noticed: round3(b.noticedAt - b.sentAt), afterNotice: round3(b.seenAt - b.noticedAt) }),
      ...(b.changedAt === undefined
        ? {}
        : { changed: round3(b.changedAt - b.sentAt), afterChange: round3(b.seenAt - b.changedAt) }),
      halfRoundTrip: round3((a.ackedAt - a.sentAt) / 2),
    }
  })
}

function push(map, key, m) {
  map.set(key, [...(map.get(key) ?? []), m])
}

function progress(step, durability, impl, label, m, extra = '') {
  const rate = Math.round((m.events / m.ms) * 1000).toLocaleString('en-US')
  console.log(
    `  ${step.padEnd(11)} ${durability.padEnd(7)} ${impl.padEnd(5)} ${label.padEnd(34)} ${rate.padStart(9)} events/s${extra}`,
  )
}

// ---- results -------------------------------------------------------------------------------
// Every section is worked out, from no samples if its cases did not run; the results keep
// only those that ran (see `cases`).

const withRates = (samples) => samples.map((s) => ({ ...s, eventsPerSec: (s.events / s.ms) * 1000 }))

const append = DURABILITIES.flatMap((durability) =>
  WORKLOADS.flatMap((workload) =>
    ['raw', 'brook'].map((impl) => {
      const samples = appendSamples.get(appendKey(impl, workload.key, durability)) ?? []
      const requested = profile.counts[workload.key]
      return {
        key: appendKey(impl, workload.key, durability),
        impl,
        workload: workload.key,
        label: workload.label,
        durability,
        requested,
        // The time cap cut a sample short: its rate still counts, over fewer events.
        capped: samples.some((s) => s.events < requested),
        ...summarise(samples),
        samples: withRates(samples),
      }
    }),
  ),
)
const read = READERS.map((reader) => ({
  key: reader.key,
  impl: reader.impl,
  label: reader.label,
  events: profile.readLog,
  ...summarise(readSamples.get(reader.key) ?? []),
  samples: withRates(readSamples.get(reader.key) ?? []),
}))

const rateOf = (list, key) => list.find((c) => c.key === key)?.median ?? NaN
const labelOf = (key) => WORKLOADS.find((w) => w.key === key)?.label ?? key
const compare = (label, durability, brook, raw, target) => {
  const ratio = brook / raw
  return { label, durability, brook, raw, ratio, target, verdict: verdict(ratio, target) }
}
const ceilings = DURABILITIES.flatMap((durability) =>
  RAW_CEILINGS.map((c) => {
    const numerator = rateOf(append, appendKey('raw', c.numerator, durability))
    const denominator = rateOf(append, appendKey('raw', c.denominator, durability))
    const label = `raw ${labelOf(c.numerator)} / raw ${labelOf(c.denominator)}`
    return { label, durability, numerator, denominator, ratio: numerator / denominator }
  }),
)
// Each group of comparisons is filtered down to nothing when its cases did not run.
const comparisons = [
  ...DURABILITIES.filter(() => runs('append')).flatMap((durability) =>
    COMPARISONS.map((c) =>
      compare(
        `Brook ${labelOf(c.brook)} / raw ${labelOf(c.raw)}`,
        durability,
        rateOf(append, appendKey('brook', c.brook, durability)),
        rateOf(append, appendKey('raw', c.raw, durability)),
        c.target(durability),
      ),
    ),
  ),
  ...READ_COMPARISONS.filter(() => runs('read')).map((c) =>
    compare(c.label, '', rateOf(read, c.brook), rateOf(read, c.raw), c.target),
  ),
]

const latencyOf = (path, part = 'latencyMs') =>
  (latencySamples.get(path) ?? []).map((s) => s[part]).filter((ms) => ms !== undefined)
const latency = {
  events: profile.latencyEvents,
  rounds: profile.latencyRounds,
  method:
    'tab A starts each event once tab B acknowledged the previous one (one in flight); both stamp ' +
    'performance.timeOrigin + performance.now(); latency = seen in B - started in A. lit: A appends to its own ' +
    'stream; the projection builder (latest.projection.ts) runs in a worker started in A, caught up before the ' +
    'first event; B shows the stream in a Lit element with ProjectionController and stamps seen in its updated()',
  tabs,
  paths: LATENCY_PATHS.map((p) => ({
    key: p.key,
    label: p.label,
    ...summariseLatency(latencyOf(p.key)),
    parts: p.parts.map((part) => ({
      key: part.key,
      label: part.label,
      ...summariseLatency(latencyOf(p.key, part.key)),
    })),
    samples: latencySamples.get(p.key) ?? [],
  })),
  comparisons: LATENCY_TARGETS.map((t) => {
    const brook = percentile(latencyOf('brook'), t.percentile)
    const floor = percentile(latencyOf('floor'), t.percentile)
    const ratio = brook / floor
    return { percentile: t.percentile, brook, floor, ratio, target: t.target, verdict: verdictAtMost(ratio, t.target) }
  }),
  // The Lit path over the paths beneath it, at the same percentiles (informational).
  lit: LIT_COMPARISONS.flatMap((c) =>
    LATENCY_TARGETS.map(({ percentile: p }) => {
      const lit = percentile(latencyOf('lit'), p)
      const over = percentile(latencyOf(c.over), p)
      return { label: c.label, over: c.over, percentile: p, lit, beneath: over, ratio: lit / over }
    }),
  ),
}

const consumerRate = (m, part) =>
  part === 'total' ? { events: m.events, ms: m.ms } : { events: m.events, ms: m.ms - m.runningMs }
const rawWorkerRate = (m, part) =>
  part === 'total' ? { events: m.events, ms: m.ms } : { events: m.events, ms: m.readMs }
const consumerCase = (key, label, samples, rateOf, startupOf) => ({
  key,
  label,
  total: summarise(samples.map((m) => rateOf(m, 'total'))),
  alone: summarise(samples.map((m) => rateOf(m, 'alone'))),
  startupMs: summariseValues(samples.map(startupOf)),
  samples: withRates(samples),
})
const jankSamples = consumerSamples.jank
const allLongTasks = jankSamples.flatMap((m) => m.longTasks)
const longTasksOver = allLongTasks.filter((t) => t.duration > LONG_TASK_LIMIT_MS).length
const consumers = {
  events: profile.readLog,
  rounds: profile.consumerRounds,
  batchSize: info.consumerBatch,
  stateKeys: consumerSamples.consumer[0]?.stateKeys,
  fold: 'per stream: count and sum of qty x price, tx.get and tx.put for every event (fold.ts)',
  projection:
    'the same fold as a keyed projection (projections.ts, key = stream, batchSize as above): ' +
    'runProjection folds each batch reading each touched key once, stores state rows s:<stream>, ' +
    'marks $ready at the head, publishes a change notice per commit',
  projectionStateKeys: consumerSamples.projection[0]?.stateKeys,
  method:
    'each run from an empty checkpoint and state; consumer and projection timed on the page from startConsumer() until ' +
    'onProgress reported the checkpoint at the head, start-up until the first running report; both checked to have ' +
    'folded every event once; raw worker timed on the page from new Worker until its answer, and inside the worker ' +
    'for the read alone',
  cases: CONSUMER_CASES.map((c) =>
    c.key === 'raw-worker'
      ? consumerCase(c.key, c.label, consumerSamples[c.key], rawWorkerRate, (m) => m.ms - m.readMs)
      : consumerCase(c.key, c.label, consumerSamples[c.key], consumerRate, (m) => m.runningMs),
  ),
  jank: {
    consumers: profile.jankConsumers,
    events: profile.readLog,
    rounds: jankSamples.map((m) => ({
      ms: m.ms,
      eventsPerSec: ((m.events * m.consumers.length) / m.ms) * 1000,
      longTasks: m.longTasks.length,
      longestMs: Math.max(0, ...m.longTasks.map((t) => t.duration)),
      over: m.longTasks.filter((t) => t.duration > LONG_TASK_LIMIT_MS).length,
      timerLateMaxMs: m.timerLateMaxMs,
      timerLateP99Ms: m.timerLateP99Ms,
      observerChecked: m.observerChecked,
    })),
    longTasks: allLongTasks.length,
    longestMs: Math.max(0, ...allLongTasks.map((t) => t.duration)),
    limitMs: LONG_TASK_LIMIT_MS,
    over: longTasksOver,
    verdict: jankSamples.length === 0 ? '—' : longTasksOver === 0 ? 'meets' : 'below',
    samples: jankSamples,
  },
}
const consumerCaseOf = (key) => consumers.cases.find((c) => c.key === key)
for (const c of CONSUMER_COMPARISONS.filter(() => runs('consumers'))) {
  const brook = consumerCaseOf(c.brook)[c.part].median
  const raw = consumerCaseOf(c.raw)[c.part].median
  comparisons.push(compare(c.label, '', brook, raw, c.target))
}

// The pipeline's state at the end is the same every run (the same log): the last run's.
const lastState = [...cepSamples.cep, ...cepSamples['cep-emit']].at(-1)?.window
const cep = {
  events: profile.cepReadings,
  rounds: profile.cepRounds,
  emitRuns: profile.cepEmitRuns,
  ...info.cep,
  log:
    `${info.cep.devices} devices (streams device-<n>), one Reading each per ${info.cep.readingPeriodMs} ms of event time, ` +
    `interleaved in arrival order; data.at = arrival slot + up to ${info.cep.jitterMs} ms (out of order, never late)`,
  pipeline:
    `from Reading, keyBy stream, sliding({ size: ${info.cep.windowMs}, outOfOrder: ${info.cep.outOfOrderMs}, ` +
    'time: data.at }), avg(data.value); cep: emit nothing; cep-emit: filter average >= ' +
    `${info.cep.alertAverage}, emit an AverageHigh event per such window`,
  method:
    'as the consumer cases: each run from an empty checkpoint and state, timed on the page from startConsumer() until ' +
    'onProgress reported the checkpoint at the last reading; plain and cep alternate, cep-emit runs last; each checked ' +
    'against a replay of the log (fold totals; watermark, late count, 1,000 keys; the alerts appended); state = the ' +
    "consumer's consumerState rows read back with raw IndexedDB, UTF-8 JSON of the values",
  cases: CEP_CASES.map((c) => consumerCase(c.key, c.label, cepSamples[c.key], consumerRate, (m) => m.runningMs)),
  emitted: cepSamples['cep-emit'][0]?.emitted,
  state: lastState === undefined ? undefined : { ...lastState, perDevice: lastState.bytes / info.cep.devices },
}
const cepCaseOf = (key) => cep.cases.find((c) => c.key === key)
for (const c of CEP_COMPARISONS.filter(() => runs('cep'))) {
  const brook = cepCaseOf(c.brook)[c.part].median
  const raw = cepCaseOf(c.raw)[c.part].median
  comparisons.push(compare(c.label, '', brook, raw, c.target))
}

const ran = (key, section) => (runs(key) ? section : undefined)
const results = {
  startedAt: startedAt.toISOString(),
  profile: quick ? 'quick' : 'full',
  // The engine the figures come from: Brook and raw IndexedDB always ran in the same one.
  engine,
  cases,
  durationSec: Math.round((performance.now() - started) / 1000),
  phasesSec: phases,
  machine: {
    ...machine,
    // As before for Chromium, so its results still compare key for key with earlier ones.
    ...(engine === 'chromium' ? { chromium: browser.version } : {}),
    browser: { ...browser, clockStepMs },
    userAgent: info.userAgent,
  },
  event: { bytes: info.eventBytes, rowBytes: info.rowBytes },
  settings: profile,
  append: ran('append', append),
  read: ran('read', read),
  comparisons,
  ceilings: ran('append', ceilings),
  latency: ran('latency', latency),
  consumers:
    runs('consumers') || runs('jank')
      ? { ...consumers, cases: ran('consumers', consumers.cases), jank: ran('jank', consumers.jank) }
      : undefined,
  cep: ran('cep', cep),
  sizes,
}

const resultsDir = join(benchDir, 'results')
mkdirSync(resultsDir, { recursive: true })
// An ISO timestamp with ':' made filename-safe (Windows refuses ':').
const file = join(resultsDir, `${results.startedAt.replaceAll(':', '-')}.json`)
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`)

printReport(results)
console.log(`\nAll samples: ${relative(repoRoot, file)}`)
