#!/usr/bin/env node
// The whole test suite, as the README's one command runs it: format, lint, typecheck, build,
// Node tests (Vitest; the multi-tab e2e in Chromium and Firefox), in-browser tests (Web Test
// Runner in Chromium, Firefox and WebKit), then each step's time and one closing line
// "N passed, N failed" with the totals of every runner (the CI host reads it).
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { engineBinaries, selectedEngines } from '../test/engines.mjs'

const results = '.test-results'
rmSync(results, { recursive: true, force: true })
mkdirSync(results, { recursive: true })

const projects = [
  'packages/core',
  'packages/bus',
  'packages/idb',
  'packages/worker',
  'packages/projections',
  'packages/cep',
  'packages/lit',
  'packages/testing',
  'demo',
  'test',
]
const checks = [
  ['format', 'prettier', ['--check', '.']],
  ['lint', 'eslint', ['.']],
  ...projects.map((p) => [`typecheck ${p}`, 'tsc', ['-p', p]]),
  ['build packages', 'pnpm', ['-r', '--filter', './packages/*', 'build']],
]

// Every engine selected (BROOK_BROWSERS, default all three) must be installed: say which
// is missing and how to get it, rather than fail later in a launcher.
const engines = selectedEngines()
const missing = engines.flatMap((e) => engineBinaries[e].filter((b) => !existsSync(b.path)).map((b) => ({ e, ...b })))
if (missing.length > 0) {
  for (const m of missing) {
    console.error(`✗ ${m.e}: ${m.path} not found (apt-get install ${m.package}, or set ${m.env})`)
  }
  console.error('Or run fewer engines, e.g. BROOK_BROWSERS=chromium pnpm test.')
  process.exit(1)
}
// What runs where, to stay within the CI budget (12 minutes on 2 cores): the in-browser
// suite in every engine; the Node-driven e2e in Chromium and Firefox (`pnpm test:e2e` adds
// WebKit); the reliability suite in Chromium (`pnpm test:reliability` adds Firefox to its
// crash and concurrency scenarios).
const e2eEngines = engines.filter((e) => e !== 'webkit')
const reliabilityEngines = engines.filter((e) => e === 'chromium')
const browsers = (list) => ({ BROOK_BROWSERS: (list.length > 0 ? list : engines).join(',') })
// MiniBrowser needs an X display: a virtual one unless there is a display already.
const displayFor = (list) => list.includes('webkit') && process.env.DISPLAY === undefined

let passed = 0
let failed = 0
const failures = []
const failedTests = []

// How long each step took, printed at the end: the CI budget is the sum.
const timings = []
const run = (name, cmd, args, env = {}) => {
  const started = Date.now()
  const ok = spawnSync(cmd, args, { stdio: 'inherit', shell: false, env: { ...process.env, ...env } }).status === 0
  timings.push([name, Date.now() - started])
  return ok
}
const bin = (cmd) => (cmd === 'pnpm' ? 'pnpm' : `node_modules/.bin/${cmd}`)

for (const [name, cmd, args] of checks) {
  console.log(`\n▶ ${name}`)
  if (run(name, bin(cmd), args)) passed += 1
  else {
    failed += 1
    failures.push(name)
  }
}

// Vitest runs in three passes: the bulk in parallel; then, each alone on the machine, the
// demo's load test (it asserts the main thread has no long task, which other browsers
// running beside it would cause) and the reliability suite (fault injection, timings).
const vitestArgs = (file, args) => [
  'run',
  ...args,
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${results}/${file}`,
]
/** `[cmd, args]`, under a virtual X display when WebKit is among `list` and needs one. */
const withDisplay = (list, cmd, args) => (displayFor(list) ? ['xvfb-run', ['-a', bin(cmd), ...args]] : [cmd, args])
const bulk = ['--exclude', 'test/e2e/demo.test.ts', '--exclude', 'test/reliability/**']
const runners = [
  [
    'vitest',
    'vitest.json',
    ...withDisplay(e2eEngines, 'vitest', vitestArgs('vitest.json', bulk)),
    browsers(e2eEngines),
  ],
  ['vitest (demo, alone)', 'vitest-demo.json', 'vitest', vitestArgs('vitest-demo.json', ['test/e2e/demo.test.ts']), {}],
  [
    'vitest (reliability, alone)',
    'vitest-reliability.json',
    'node',
    ['test/reliability/run.mjs', '--vitest-json', `${results}/vitest-reliability.json`],
    browsers(reliabilityEngines),
  ],
  ['web-test-runner', 'wtr.json', ...withDisplay(engines, 'web-test-runner', []), browsers(engines)],
]
for (const [name, file, cmd, args, env] of runners) {
  console.log(`\n▶ ${name}`)
  const ok = run(name, cmd === 'node' || cmd === 'xvfb-run' ? cmd : bin(cmd), args, env)
  const counts = readCounts(file)
  if (counts === undefined) {
    failed += 1
    failures.push(`${name} (no results)`)
    continue
  }
  passed += counts.passed
  failed += counts.failed
  failedTests.push(...counts.names)
  if (!ok && counts.failed === 0) {
    failed += 1
    failures.push(`${name} (exit code)`)
  } else if (counts.failed > 0) failures.push(`${name} (${counts.failed} failed)`)
}

function readCounts(file) {
  const path = `${results}/${file}`
  if (!existsSync(path)) return undefined
  const data = JSON.parse(readFileSync(path, 'utf8'))
  if (!file.startsWith('vitest')) return { ...data, names: data.names ?? [] }
  const names = data.testResults.flatMap((f) => {
    const where = f.name.replace(`${process.cwd()}/`, '')
    const tests = f.assertionResults
      .filter((t) => t.status === 'failed')
      .map((t) => `${where}: ${t.fullName}: ${firstLine(t.failureMessages[0])}`)
    // A file that failed to load has no failed test of its own.
    return tests.length === 0 && f.status === 'failed' ? [`${where}: ${firstLine(f.message)}`] : tests
  })
  return { passed: data.numPassedTests, failed: data.numFailedTests, names }
}

function firstLine(text) {
  return (text ?? 'failed').split('\n')[0].slice(0, 300)
}

// The closing lines name what failed, so the tail of a CI log is enough to start from.
console.log('')
for (const [name, ms] of timings) console.log(`${(ms / 1000).toFixed(1).padStart(7)} s  ${name}`)
console.log('')
for (const name of failedTests) console.log(`✗ ${name}`)
if (failures.length > 0) console.log(`Failed: ${failures.join(', ')}`)
console.log(`${passed} passed, ${failed} failed`)
process.exit(failed === 0 ? 0 : 1)
