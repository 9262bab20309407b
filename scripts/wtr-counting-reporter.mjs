import { mkdirSync, writeFileSync } from 'node:fs'

/**
 * Writes the run's totals to `.test-results/<name>.json` so `scripts/test.mjs` can print one
 * "N passed, N failed" line for all runners (Web Test Runner prints no such line itself), and
 * the names of the tests that failed and of those skipped, each with its engine. A test
 * skipped where an engine lacks a feature carries the reason in its title.
 */
export function countingReporter(name) {
  return {
    onTestRunFinished({ sessions }) {
      let passed = 0
      let failed = 0
      const names = []
      const skipped = []
      const walk = (suite, where, path) => {
        for (const t of suite.tests ?? []) {
          const title = `${where}: ${[...path, t.name].join(' > ')}`
          if (t.skipped) skipped.push(title)
          else if (t.passed) passed += 1
          else {
            failed += 1
            names.push(`${title}: ${t.error?.message ?? 'failed'}`)
          }
        }
        for (const s of suite.suites ?? []) walk(s, where, [...path, s.name])
      }
      for (const session of sessions) {
        const where = `[${session.browser.name}] ${session.testFile.replace(`${process.cwd()}/`, '')}`
        if (session.testResults) walk(session.testResults, where, [])
        // A file that failed to load or threw outside a test counts as one failure.
        if (!session.passed && (session.errors?.length ?? 0) > 0) {
          failed += 1
          names.push(`${where}: ${session.errors[0]?.message ?? 'failed to run'}`)
        }
      }
      mkdirSync('.test-results', { recursive: true })
      writeFileSync(`.test-results/${name}.json`, JSON.stringify({ passed, failed, names, skipped }))
    },
  }
}
