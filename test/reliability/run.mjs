#!/usr/bin/env node
// `pnpm test:reliability`: runs the reliability suite (test/reliability/*.test.ts) under
// Vitest, merges what each file measured, prints the figures and writes them as JSON to
// test/reliability/results/. Exits non-zero if a test failed or any zero-count is not 0.
//
//   node test/reliability/run.mjs                 CI-sized (the counts `pnpm test` also runs)
//   node test/reliability/run.mjs --scale 10      10× the iterations (BROOK_RELIABILITY_ITERATIONS=10)
//   node test/reliability/run.mjs a-crash b-      only files matching these names
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'

const here = fileURLToPath(new URL('.', import.meta.url))
const root = fileURLToPath(new URL('../../', import.meta.url))
const args = process.argv.slice(2)
const scaleAt = args.indexOf('--scale')
const scale = scaleAt >= 0 ? Number(args[scaleAt + 1]) : Number(process.env.BROOK_RELIABILITY_ITERATIONS ?? '1')
// `--vitest-json <file>`: also write Vitest's JSON report there (the README's test command
// reads the pass/fail counts from it).
const jsonAt = args.indexOf('--vitest-json')
const jsonOut = jsonAt >= 0 ? args[jsonAt + 1] : undefined
// Filters: the arguments that are neither flags nor a flag's value (an absent flag has no value).
const valueAt = new Set([scaleAt, jsonAt].filter((at) => at >= 0).map((at) => at + 1))
const filters = args.filter((a, i) => !a.startsWith('--') && !valueAt.has(i))
const run = new Date().toISOString().replace(/[:.]/g, '-')
const partials = `${here}results/partials/${run}/`

const started = Date.now()
const vitest = spawnSync(
  `${root}node_modules/.bin/vitest`,
  [
    'run',
    ...(filters.length > 0 ? filters.map((f) => `test/reliability/${f}`) : ['test/reliability']),
    ...(jsonOut === undefined ? [] : ['--reporter=default', '--reporter=json', `--outputFile.json=${jsonOut}`]),
  ],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, BROOK_RELIABILITY_RUN: run, BROOK_RELIABILITY_ITERATIONS: String(scale) },
  },
)

const files = (existsSync(partials) ? readdirSync(partials, { withFileTypes: true }) : []).filter((f) =>
  f.name.endsWith('.json'),
)
const parts = files.map((f) => JSON.parse(readFileSync(partials + f.name, 'utf8')))
rmSync(partials, { recursive: true, force: true })

const sum = (pick) => {
  const out = {}
  for (const p of parts) for (const [k, v] of Object.entries(pick(p))) out[k] = (out[k] ?? 0) + v
  return out
}
const faults = {}
for (const p of parts) {
  for (const [k, f] of Object.entries(p.faults)) {
    faults[k] ??= { injected: 0, survived: 0 }
    faults[k].injected += f.injected
    faults[k].survived += f.survived
  }
}
const ratios = {}
for (const p of parts) {
  for (const [k, r] of Object.entries(p.ratios)) {
    ratios[k] ??= { ok: 0, of: 0 }
    ratios[k].ok += r.ok
    ratios[k].of += r.of
  }
}
const samples = {}
for (const p of parts) for (const [k, v] of Object.entries(p.samples)) (samples[k] ??= []).push(...v)
const pct = (list, q) => {
  const s = [...list].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]
}
const figures = Object.fromEntries(
  Object.entries(samples).map(([k, v]) => [
    k,
    { n: v.length, p50: pct(v, 0.5), p95: pct(v, 0.95), max: Math.max(...v) },
  ]),
)
const zero = sum((p) => p.zero)
const totals = sum((p) => p.totals)
// Measures no file reports are listed as not run (never counted as passes).
const notRun = {}
const expectMeasured = {
  projectionNeqFold: 'projection≠fold (b-consumers B2, c-concurrency C3/C5, f-security)',
  xssExecutions: 'XSS executions (f-security F1/F2)',
  prototypePolluted: 'prototype pollution (f-security)',
}
for (const [k, what] of Object.entries(expectMeasured)) {
  if (!parts.some((p) => k in p.zero)) notRun[k] = `${what}: not run in this selection`
}
for (const p of parts) Object.assign(notRun, p.notRun)
const scenarios = Object.assign({}, ...parts.map((p) => p.scenarios))
const harnessErrors = {
  count: parts.reduce((n, p) => n + p.harnessErrors.count, 0),
  reasons: parts.flatMap((p) => p.harnessErrors.reasons),
}
const violations = Object.entries(zero).filter(([, v]) => v !== 0)

// The same figures per engine (a-crash and c-concurrency run in each engine BROOK_BROWSERS
// selects; the other files in Chromium only), with what each fault is in each engine.
const engines = {}
for (const p of parts) {
  for (const [name, e] of Object.entries(p.engines ?? {})) {
    const t = (engines[name] ??= {
      iterations: 0,
      harnessErrors: 0,
      scenarios: [],
      faults: {},
      zeroCounts: {},
      totals: {},
      ratios: {},
      faultMechanisms: {},
      differences: {},
    })
    t.iterations += e.iterations
    t.harnessErrors += e.harnessErrors
    for (const [k, f] of Object.entries(e.faults)) {
      t.faults[k] ??= { injected: 0, survived: 0 }
      t.faults[k].injected += f.injected
      t.faults[k].survived += f.survived
    }
    for (const [k, v] of Object.entries(e.zero)) t.zeroCounts[k] = (t.zeroCounts[k] ?? 0) + v
    for (const [k, v] of Object.entries(e.totals)) t.totals[k] = (t.totals[k] ?? 0) + v
    for (const [k, r] of Object.entries(e.ratios)) {
      t.ratios[k] ??= { ok: 0, of: 0 }
      t.ratios[k].ok += r.ok
      t.ratios[k].of += r.of
    }
    Object.assign(t.faultMechanisms, e.faultMechanisms)
    for (const [k, why] of Object.entries(e.differences)) t.differences[`${p.file}: ${k}`] = why
  }
  for (const [name, sc] of Object.entries(p.scenarios)) engines[sc.engine]?.scenarios.push(name)
}
for (const e of Object.values(engines)) {
  const z = e.zeroCounts
  const t = e.totals
  // Jepsen-style counts over the logs checked in this engine.
  e.jepsen = {
    acknowledgedAppends: t.ackedOps ?? 0,
    lost: z.lost ?? 0,
    duplicates: (z.duplicates ?? 0) + (z.duplicatesAfterRetry ?? 0),
    duplicateVersions: z.duplicateVersions ?? 0,
    torn: z.torn ?? 0,
    unexpected: z.unexpected ?? 0,
    indeterminate: t.infoOps ?? 0,
    indeterminatePresent: t.infoPresent ?? 0,
    indeterminateRecoveredByRetry: t.indeterminateRecoveredByRetry ?? 0,
    lostAfterRetry: z.lostAfterRetry ?? 0,
    failedTyped: (t.failedOps ?? 0) - (z.failedUntyped ?? 0),
    faultsInjected: Object.values(e.faults).reduce((n, f) => n + f.injected, 0),
    faultsSurvived: Object.values(e.faults).reduce((n, f) => n + f.survived, 0),
  }
  e.nonzero = Object.fromEntries(Object.entries(z).filter(([, v]) => v !== 0))
}

const result = {
  run,
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
  scale,
  durationS: Math.round((Date.now() - started) / 1000),
  vitestExit: vitest.status,
  faults,
  harnessErrors,
  appends: {
    acknowledgedAppends: totals.ackedOps ?? 0,
    acknowledgedEvents: totals.ackedEvents ?? 0,
    indeterminate: {
      total: totals.infoOps ?? 0,
      presentBeforeRetry: totals.infoPresent ?? 0,
      recoveredByRetry: totals.indeterminateRecoveredByRetry ?? 0,
      lostAfterRetry: zero.lostAfterRetry ?? 0,
    },
  },
  // The headline figures (the Jepsen-style counts that must be 0), picked out of the rest.
  headline: {
    lostAcknowledged: zero.lost ?? 0,
    indeterminate: totals.infoOps ?? 0,
    duplicates: (zero.duplicates ?? 0) + (zero.duplicatesAfterRetry ?? 0),
    duplicateVersions: zero.duplicateVersions ?? 0,
    orderViolations:
      (zero.orderViolations ?? 0) + (zero.consumerOrderViolations ?? 0) + (zero.subscriberOrderViolations ?? 0),
    gaps: (zero.positionGaps ?? 0) + (zero.versionGaps ?? 0),
    torn: zero.torn ?? 0,
    doubleApplied: zero.doubleApplied ?? 0,
    unseen: zero.unseen ?? 0,
    projectionNeqFold: zero.projectionNeqFold,
    projectionNeqReference: zero.projectionNeqReference,
    overlappingLeaderships: zero.overlappingLeaderships,
    xssExecutions: zero.xssExecutions,
    prototypePolluted: zero.prototypePolluted,
    hostileInputsRejectedOrInert: ratios.hostileInputsRejectedOrInert,
    hostileInputsRejected: totals.hostileInputsRejected,
    failoverMs: figures.failoverMs,
    upgradeWithOldTabsMs: figures.upgradeWithOldTabsMs,
    upgradeBlockedSurfacedTyped: ratios.upgradeBlockedTyped,
    logRegressionDetected: ratios.logRegressionDetected,
  },
  zeroCounts: zero,
  totals,
  figures,
  ratios,
  notRun,
  scenarios,
  engines,
}
mkdirSync(`${here}results`, { recursive: true })
const out = `${here}results/reliability-${run}.json`
writeFileSync(out, JSON.stringify(result, null, 2))

const line = (k, v) => console.log(`  ${k.padEnd(44)} ${v}`)
console.log(`\nReliability report (scale ${scale}, ${result.durationS} s) → ${out}`)
console.log('headline:')
for (const [k, v] of Object.entries(result.headline)) {
  if (v === undefined) continue
  const shown =
    typeof v === 'object'
      ? 'ok' in v
        ? `${v.ok}/${v.of}`
        : `p50 ${v.p50} / p95 ${v.p95} / max ${v.max} (n=${v.n})`
      : v
  line(k, shown)
}
console.log('faults injected / survived:')
for (const [k, f] of Object.entries(faults)) line(k, `${f.injected} / ${f.survived}`)
line('harness errors (retried, not passes)', harnessErrors.count)
console.log('must be zero:')
for (const [k, v] of Object.entries(zero)) line(k, v === 0 ? '0' : `${v}  ✗`)
console.log('totals:')
for (const [k, v] of Object.entries(totals)) line(k, v)
console.log('figures (p50 / p95 / max, n):')
for (const [k, f] of Object.entries(figures)) line(k, `${f.p50} / ${f.p95} / ${f.max}  (n=${f.n})`)
console.log('n of n:')
for (const [k, r] of Object.entries(ratios)) line(k, `${r.ok}/${r.of}${r.ok === r.of ? '' : '  ✗'}`)
console.log('not run (never counted as passes):')
for (const [k, why] of Object.entries(notRun)) line(k, why)
console.log('per engine:')
for (const [name, e] of Object.entries(engines)) {
  const j = e.jepsen
  line(
    name,
    `${e.iterations} iterations, faults ${j.faultsInjected} / ${j.faultsSurvived} survived, ${e.harnessErrors} harness errors`,
  )
  line(
    '  jepsen',
    `acked ${j.acknowledgedAppends}, lost ${j.lost}, duplicates ${j.duplicates}, torn ${j.torn}, unexpected ${j.unexpected}, indeterminate ${j.indeterminate} (present ${j.indeterminatePresent}, recovered by retry ${j.indeterminateRecoveredByRetry}, lost after retry ${j.lostAfterRetry})`,
  )
  line(
    '  faults',
    Object.entries(e.faults)
      .map(([k, f]) => `${k} ${f.injected}/${f.survived}`)
      .join(', '),
  )
  const bad = Object.entries(e.nonzero)
  line('  nonzero zero-counts', bad.length === 0 ? 'none' : bad.map(([k, v]) => `${k}=${v}`).join(', '))
  for (const [what, why] of Object.entries(e.differences)) line(`  differs: ${what}`, why)
}
const failedScenarios = Object.entries(scenarios).filter(([, s]) => s.status === 'failed')
for (const [name] of failedScenarios) line(`FAILED ${name}`, '')
const bad = vitest.status !== 0 || violations.length > 0
console.log(bad ? `\nreliability: FAILED (${violations.length} nonzero zero-counts)` : '\nreliability: passed')
process.exit(bad ? 1 : 0)
