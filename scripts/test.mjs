#!/usr/bin/env node
// The whole test suite, as the README's one command runs it: format, lint, typecheck, build,
// Node tests (Vitest), in-browser tests (Web Test Runner, headless Chromium), then one
// closing line "N passed, N failed" with the totals of every runner (the CI host reads it).
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'

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

let passed = 0
let failed = 0
const failures = []

const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit', shell: false, env: process.env }).status === 0
const bin = (cmd) => (cmd === 'pnpm' ? 'pnpm' : `node_modules/.bin/${cmd}`)

for (const [name, cmd, args] of checks) {
  console.log(`\n▶ ${name}`)
  if (run(bin(cmd), args)) passed += 1
  else {
    failed += 1
    failures.push(name)
  }
}

const runners = [
  ['vitest', 'vitest', ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${results}/vitest.json`]],
  ['web-test-runner', 'web-test-runner', []],
]
for (const [name, cmd, args] of runners) {
  console.log(`\n▶ ${name}`)
  const ok = run(bin(cmd), args)
  const counts = readCounts(name)
  if (counts === undefined) {
    failed += 1
    failures.push(`${name} (no results)`)
    continue
  }
  passed += counts.passed
  failed += counts.failed
  if (!ok && counts.failed === 0) {
    failed += 1
    failures.push(`${name} (exit code)`)
  } else if (counts.failed > 0) failures.push(`${name} (${counts.failed} failed)`)
}

function readCounts(name) {
  const file = name === 'vitest' ? `${results}/vitest.json` : `${results}/wtr.json`
  if (!existsSync(file)) return undefined
  const data = JSON.parse(readFileSync(file, 'utf8'))
  return name === 'vitest' ? { passed: data.numPassedTests, failed: data.numFailedTests } : data
}

console.log('')
if (failures.length > 0) console.log(`Failed: ${failures.join(', ')}`)
console.log(`${passed} passed, ${failed} failed`)
process.exit(failed === 0 ? 0 : 1)
