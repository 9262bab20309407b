import { mkdirSync, writeFileSync } from 'node:fs'

/**
 * Writes the run's totals to `.test-results/<name>.json` so `scripts/test.mjs` can print one
 * "N passed, N failed" line for all runners (Web Test Runner prints no such line itself).
 */
export function countingReporter(name) {
  return {
    onTestRunFinished({ sessions }) {
      let passed = 0
      let failed = 0
      const walk = (suite) => {
        for (const t of suite.tests ?? []) {
          if (t.skipped) continue
          if (t.passed) passed += 1
          else failed += 1
        }
        for (const s of suite.suites ?? []) walk(s)
      }
      for (const session of sessions) {
        if (session.testResults) walk(session.testResults)
        // A file that failed to load or threw outside a test counts as one failure.
        if (!session.passed && (session.errors?.length ?? 0) > 0) failed += 1
      }
      mkdirSync('.test-results', { recursive: true })
      writeFileSync(`.test-results/${name}.json`, JSON.stringify({ passed, failed }))
    },
  }
}
