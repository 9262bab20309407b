// The console report of a run (see run.mjs for the shape of `results`). A section whose
// cases did not run (`--cases`, or left out in this engine) is absent and not printed.
import { formatBytes, formatKiB, formatMs, formatRate, formatRatio, table } from './report.mjs'

const rounds = (n) => (n === 1 ? '1 round' : `median of ${n} rounds`)

export function printReport(results) {
  const { machine, event, settings } = results
  console.log(`\n== Brook benchmark, ${results.profile} run, ${results.startedAt} (${results.durationSec} s)`)
  const phases = Object.entries(results.phasesSec ?? {}).map(([key, sec]) => `${key} ${Math.round(sec)}`)
  if (phases.length > 0) console.log(`time, s:  ${phases.join(', ')}`)
  console.log(
    `machine:  ${machine.cpuModel} x ${machine.cpuCount}, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}`,
  )
  // Results written before the engine was recorded ran in headless Chromium.
  const browser = machine.browser ?? { name: 'Chromium', version: machine.chromium, mode: 'headless' }
  console.log(`browser:  ${browser.name} ${browser.version} (${browser.mode})`)
  for (const note of browser.notes ?? []) console.log(`          ${note}`)
  if (browser.clockNote !== undefined) {
    console.log(`clock:    performance.now() in ${browser.clockStepMs} ms steps (${browser.clockNote})`)
  }
  const fsync = `fsync of 400 B: ${machine.fsyncMs} ms`
  if (browser.storage === undefined) {
    console.log(`disk:     browser profile in ${machine.profileDir} (${machine.profileFilesystem}), ${fsync}`)
  } else {
    console.log(`disk:     ${browser.storage} (${machine.profileDir}: ${fsync})`)
  }
  console.log(`events:   ${event.bytes} B each (type + data + meta as JSON), ${event.rowBytes} B as a stored row`)
  printCases(results.cases)

  if (results.append !== undefined) printAppend(results)
  if (results.read !== undefined) printRead(results)
  if (results.consumers?.cases !== undefined) printConsumers(results.consumers)
  if (results.consumers?.jank !== undefined) printJank(results.consumers.jank, settings)
  if (results.cep !== undefined) printCep(results.cep)

  if (results.comparisons.length > 0) printComparisons(results)
  if (results.latency !== undefined) printLatency(results.latency)
  if (results.sizes !== undefined) printSizes(results.sizes)
}

/** Which cases ran, when any was left out: the default run runs all and says nothing. */
function printCases(cases) {
  if (cases === undefined || cases.leftOut.length === 0) return
  console.log(`cases:    ${cases.ran.join(', ')}`)
  for (const { key, why } of cases.leftOut) console.log(`left out: ${key}: ${why}`)
}

function printAppend(results) {
  const { settings } = results
  console.log(`\nAppend throughput, events/s (${rounds(settings.rounds)}; min and max show the noise)`)
  console.log(
    table(
      ['durability', 'workload', 'impl', 'events', 'median', 'min', 'max'],
      results.append.map((c) => [
        c.durability,
        c.label,
        c.impl,
        `${c.requested.toLocaleString('en-US')}${c.capped ? ' (capped)' : ''}`,
        formatRate(c.median),
        formatRate(c.min),
        formatRate(c.max),
      ]),
      [3, 4, 5, 6],
    ),
  )
}

function printRead(results) {
  const { settings } = results
  const log = settings.readLog.toLocaleString('en-US')
  console.log(`\nSequential read of one ${log}-event log, events/s (${rounds(settings.readRounds)})`)
  console.log(
    table(
      ['reader', 'median', 'min', 'max'],
      results.read.map((r) => [r.label, formatRate(r.median), formatRate(r.min), formatRate(r.max)]),
      [1, 2, 3],
    ),
  )
}

function printComparisons(results) {
  console.log('\nBrook / raw (medians; the last lines compare Brook with itself); targets from the project brief')
  console.log(
    table(
      ['durability', 'comparison', 'Brook', 'baseline', 'ratio', 'target', ''],
      results.comparisons.map((c) => [
        c.durability,
        c.label,
        formatRate(c.brook),
        formatRate(c.raw),
        formatRatio(c.ratio),
        c.target === undefined ? '—' : `>= ${c.target}x`,
        c.verdict,
      ]),
      [2, 3, 4],
    ),
  )
  if (results.ceilings === undefined) return
  console.log('\nFor scale: what batching alone buys raw IndexedDB here (bounds the concurrent ratio above)')
  console.log(
    table(
      ['durability', 'comparison', 'ratio'],
      results.ceilings.map((c) => [c.durability, c.label, formatRatio(c.ratio)]),
      [2],
    ),
  )
}

function printConsumers(consumers) {
  const byKey = (key) => consumers.cases.find((c) => c.key === key)
  const [consumer, projection, raw] = ['consumer', 'projection', 'raw-worker'].map(byKey)
  const ms = (summary) => `${formatMs(summary.median)} ms`
  console.log(
    `\nConsumer catch-up and projection rebuild of the same ${consumers.events.toLocaleString('en-US')}-event log, ` +
      `events/s (${rounds(consumers.rounds)}; each run from an empty checkpoint and state)`,
  )
  console.log(
    table(
      ['case', 'median', 'min', 'max', 'start-up'],
      [
        ['consumer: startConsumer() until onProgress reports the head', consumer.total, ms(consumer.startupMs)],
        ["  catch-up alone: from its first 'running' report", consumer.alone, ''],
        ['keyed projection, same fold: rebuild timed the same way', projection.total, ms(projection.startupMs)],
        ["  rebuild alone: from its first 'running' report", projection.alone, ''],
        ['raw getAll pages of 1,000 in a worker: new Worker until its answer', raw.total, ms(raw.startupMs)],
        ['  the read alone, timed in the worker', raw.alone, ''],
      ].map(([label, r, startup]) => [label, formatRate(r.median), formatRate(r.min), formatRate(r.max), startup]),
      [1, 2, 3, 4],
    ),
  )
  const ratio = (a, b, part) => formatRatio(a[part].median / b[part].median)
  console.log(
    `projection / consumer: ${ratio(projection, consumer, 'total')} (alone ${ratio(projection, consumer, 'alone')}); ` +
      `projection / raw worker read: ${ratio(projection, raw, 'total')} (alone ${ratio(projection, raw, 'alone')}); ` +
      `consumer / raw worker read: ${ratio(consumer, raw, 'total')} (alone ${ratio(consumer, raw, 'alone')})`,
  )
  console.log(`consumer: fold ${consumers.fold}; batchSize ${consumers.batchSize}; ${consumers.stateKeys} state keys`)
  console.log(`projection: ${consumers.projection}; ${consumers.projectionStateKeys} state keys besides $ready`)
}

function printJank(jank, settings) {
  const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`
  console.log(
    `\nPage main thread while ${jank.consumers} consumers fold the same log at once ` +
      `(${plural(settings.jankRounds, 'round')}; PerformanceObserver 'longtask', a 10 ms timer chain)`,
  )
  console.log(
    table(
      ['round', 'all at head', `events/s (x${jank.consumers})`, 'long tasks', 'longest', 'timer late p99', 'max'],
      jank.rounds.map((r, i) => [
        `${i + 1}${r.observerChecked ? '' : ' (observer unchecked)'}`,
        `${formatMs(r.ms)} ms`,
        formatRate(r.eventsPerSec),
        String(r.longTasks),
        r.longTasks === 0 ? '—' : `${formatMs(r.longestMs)} ms`,
        `${formatMs(r.timerLateP99Ms)} ms`,
        `${formatMs(r.timerLateMaxMs)} ms`,
      ]),
      [1, 2, 3, 4, 5, 6],
    ),
  )
  console.log(
    table(
      ['measure', 'value', 'target', ''],
      [[`long tasks over ${jank.limitMs} ms, all rounds`, String(jank.over), 'none', jank.verdict]],
      [1],
    ),
  )
}

function printCep(cep) {
  const n = (x) => x.toLocaleString('en-US')
  console.log(
    `\nCEP: sliding ${cep.windowMs / 1000} s average per device over ${n(cep.events)} readings from ${n(cep.devices)} ` +
      `devices, beside the plain consumer over the same log, events/s (${rounds(cep.rounds)}; emitting: ` +
      `${rounds(cep.emitRuns)}; batches of ${n(cep.batchSize)}; each run from an empty checkpoint and state)`,
  )
  const byKey = (key) => cep.cases.find((c) => c.key === key)
  console.log(
    table(
      ['case', 'median', 'min', 'max', 'alone', 'start-up'],
      cep.cases.map((c) => [
        c.label,
        formatRate(c.total.median),
        formatRate(c.total.min),
        formatRate(c.total.max),
        formatRate(c.alone.median),
        `${formatMs(c.startupMs.median)} ms`,
      ]),
      [1, 2, 3, 4, 5],
    ),
  )
  const [plain, pipeline, emitting] = ['plain', 'cep', 'cep-emit'].map(byKey)
  const ratio = (a, part) => formatRatio(a[part].median / plain[part].median)
  console.log(
    `CEP / plain: ${ratio(pipeline, 'total')} (alone ${ratio(pipeline, 'alone')}; target >= 0.5x); ` +
      `emitting / plain: ${ratio(emitting, 'total')}; alerts appended per emitting run: ${n(cep.emitted ?? 0)}`,
  )
  console.log(`log:      ${cep.log}`)
  console.log(`pipeline: ${cep.pipeline}`)
  const s = cep.state
  if (s === undefined) return
  console.log(
    `state at the end (what the open windows hold; UTF-8 JSON of its consumerState rows): ${formatBytes(s.bytes)}, ` +
      `${formatBytes(s.perDevice)} per device; s:<device> rows ${formatBytes(s.keyBytes)} (${n(s.keys)} keys, ` +
      `${n(s.items)} readings kept, ${n(s.pending)} windows not fired yet), g ${formatBytes(s.globalBytes)} ` +
      `(${n(s.timers)} timers)`,
  )
}

function printLatency(latency) {
  const { events, rounds, tabs } = latency
  const pooled = rounds === 1 ? '1 round' : `${rounds} rounds pooled`
  console.log(
    `\nWrite-to-visible latency between two tabs, ms (${events.toLocaleString('en-US')} events per path, ${pooled}; ` +
      'each event starts once tab B saw the one before)',
  )
  console.log(
    table(
      ['path', 'p50', 'p99', 'min', 'max'],
      latency.paths.flatMap((p) => [
        [p.label, formatMs(p.p50), formatMs(p.p99), formatMs(p.min), formatMs(p.max)],
        ...p.parts.map((part) => [
          `  ${part.label}`,
          formatMs(part.p50),
          formatMs(part.p99),
          formatMs(part.min),
          formatMs(part.max),
        ]),
      ]),
      [1, 2, 3, 4],
    ),
  )
  const tab = (t) =>
    `${t.visibility}${t.focused ? ', focused' : ''}, 10 ms timer up to ${formatMs(t.timerLateMs)} ms late`
  console.log(`tabs:     A ${tab(tabs.a)}; B ${tab(tabs.b)}`)

  console.log('\nBrook / floor latency; targets from the project brief')
  console.log(
    table(
      ['percentile', 'Brook', 'floor', 'ratio', 'target', ''],
      latency.comparisons.map((c) => [
        `p${c.percentile}`,
        `${formatMs(c.brook)} ms`,
        `${formatMs(c.floor)} ms`,
        formatRatio(c.ratio),
        `<= ${c.target}x`,
        c.verdict,
      ]),
      [1, 2, 3],
    ),
  )

  console.log('\nAppend in A -> Lit element re-rendered in B, beside the paths beneath it (same run; no target)')
  console.log(
    table(
      ['comparison', 'percentile', 'Lit', 'beneath', 'ratio'],
      latency.lit.map((c) => [
        c.label,
        `p${c.percentile}`,
        `${formatMs(c.lit)} ms`,
        `${formatMs(c.beneath)} ms`,
        formatRatio(c.ratio),
      ]),
      [2, 3, 4],
    ),
  )
}

function printSizes(sizes) {
  if (sizes.error !== undefined) {
    console.log(`\nSizes: not measured. ${sizes.error}`)
    return
  }
  console.log('\nPackage builds (packages/*/dist, tsc output, unminified; gzip -9 per file)')
  console.log(
    table(
      ['package', 'JS', 'JS gzip', 'dist (with .d.ts, maps)', 'dist gzip'],
      sizes.packages.map((p) => [
        p.name,
        formatBytes(p.jsBytes),
        formatBytes(p.jsGzip),
        formatBytes(p.allBytes),
        formatBytes(p.allGzip),
      ]),
      [1, 2, 3, 4],
    ),
  )
  console.log('\nClient bundle with dependencies (Vite library mode, rolldown, minified; gzip -9)')
  console.log(
    table(
      ['bundle', 'minified', 'gzip', 'contains'],
      sizes.bundles.map((b) => [b.label, formatKiB(b.bytes), formatKiB(b.gzip), b.includes.join(', ')]),
      [1, 2],
    ),
  )
}
