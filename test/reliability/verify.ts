import type { BrowserContext, Page } from 'playwright-core'
import { checkConsumer, checkLog, CONSUMER_ZERO, LOG_ZERO, nonZero, type Dump, type DumpedEvent } from './checker.ts'
import type { History, OpRecord } from './history.ts'
import { harness, type Recorder } from './report.ts'
import { isBrowser, type Browser, type BrowserTab } from './profile.ts'
import { asTab, dumpTab, openTab } from './session.ts'

/** Acknowledged operations re-sent with the indeterminate ones, to prove retries are no-ops. */
const ACKED_RETRY_SAMPLE = 10

/**
 * The checker: dumps `store` from the (reopened) profile, computes the log counts against
 * `history`; then retries every indeterminate operation (and a sample of acknowledged ones)
 * with the same ids, dumps again and checks that retries of stored operations were no-ops
 * and that nothing is missing any more. Returns the problems found (empty when all is well).
 *
 * @example
 * ```ts
 * const { problems } = await verifyLog(r, await checkerTab(context, url), 'a1', history)
 * expect(problems).toEqual([])
 * ```
 */
export async function verifyLog(
  r: Recorder,
  tab: Page | BrowserTab,
  store: string,
  history: History,
  options: { retry?: boolean } = {},
): Promise<{ problems: string[]; dump: Dump }> {
  return check(r, tab, store, history, options.retry !== false)
}

/** Opens a tab to check (and retry) from; with the harness, so it can also be reused as a producer. */
export function checkerTab(context: BrowserContext, url: string): Promise<Page>
export function checkerTab(browser: Browser, url: string): Promise<BrowserTab>
export function checkerTab(on: BrowserContext | Browser, url: string): Promise<Page | BrowserTab> {
  return harness<Page | BrowserTab>('checker tab', () =>
    isBrowser(on) ? openTab(on, url, 'checker') : openTab(on, url, 'checker'),
  )
}

async function check(
  r: Recorder,
  page: Page | BrowserTab,
  store: string,
  history: History,
  retry: boolean,
): Promise<{ problems: string[]; dump: Dump }> {
  const tab = asTab(page)
  const before = await harness('dump', () => dumpTab(tab, store))
  const ops = history.list().filter((o) => o.op.store === store)
  const { counts, samples } = checkLog(ops, before)
  r.counts(counts, LOG_ZERO)
  const problems = nonZero(counts, LOG_ZERO, samples)
  if (!retry) return { problems, dump: before }

  const info = ops.filter((o) => o.outcome.status === 'info')
  const acked = ops.filter((o) => o.outcome.status === 'ok').slice(-ACKED_RETRY_SAMPLE)
  const retried = [...info, ...acked]
  if (retried.length === 0) return { problems, dump: before }
  const outcomes = await tab.evaluate(([s, list]) => window.rel.retry(s, list), [
    store,
    retried.map((o) => o.op),
  ] as const)
  const after = await harness('dump after retry', () => dumpTab(tab, store))

  const stored = new Map<string, DumpedEvent>(before.events.map((e) => [e.id, e]))
  const lastOf = (o: OpRecord) => {
    const entry = o.op.entries[o.op.entries.length - 1]
    return stored.get(entry?.events[entry.events.length - 1]?.id ?? '')
  }
  let notNoop = 0
  let failedRetries = 0
  let absentEvents = 0
  const notes: string[] = []
  outcomes.forEach((out, i) => {
    const o = retried[i] as OpRecord
    const last = lastOf(o)
    if (!out.ok) {
      failedRetries += 1
      notes.push(`${o.op.id}: retry failed ${String(out.code)}`)
    } else if (last !== undefined && (out.position !== last.position || out.version !== last.version)) {
      notNoop += 1
      notes.push(`${o.op.id}: retry gave ${String(out.position)}, stored at ${last.position}`)
    }
    if (last === undefined) absentEvents += o.op.entries.reduce((n, e) => n + e.events.length, 0)
  })
  // A retry of a stored operation writes nothing; one of a missing operation writes it once.
  if (after.events.length !== before.events.length + absentEvents) notNoop += 1

  // After the retries, every operation ever invoked (bar typed failures) is in the log exactly once.
  const asAcked = ops.map((o): OpRecord => {
    const out = outcomes.find((x) => x.id === o.op.id)
    return out?.ok === true
      ? { ...o, outcome: { status: 'ok', position: out.position ?? 0, version: out.version ?? 0, t: 0 } }
      : o
  })
  const recheck = checkLog(asAcked, after)
  const lostAfterRetry = recheck.counts.lost + recheck.counts.infoOps - recheck.counts.infoPresent
  r.total('indeterminateRetried', info.length)
  r.total('indeterminateRecoveredByRetry', info.filter((o) => lastOf(o) === undefined).length - failedRetries)
  r.zero('retryNotNoop', notNoop)
  r.zero('retryFailed', failedRetries)
  r.zero('lostAfterRetry', lostAfterRetry)
  r.zero('duplicatesAfterRetry', recheck.counts.duplicates + recheck.counts.duplicateVersions)
  if (notNoop + failedRetries + lostAfterRetry > 0) problems.push(`retry: ${notes.slice(0, 5).join('; ')}`)
  problems.push(...nonZero(recheck.counts, LOG_ZERO, recheck.samples).map((p) => `after retry: ${p}`))
  return { problems, dump: after }
}

/**
 * Checks consumer `name` in `dump` and records its counts; returns the problems found.
 *
 * @example
 * ```ts
 * problems.push(...verifyConsumer(r, dump, 'totals', head))
 * ```
 */
export function verifyConsumer(r: Recorder, dump: Dump, name: string, expectCheckpoint?: number): string[] {
  const { counts, samples } = checkConsumer(dump, name)
  r.counts(counts, CONSUMER_ZERO)
  const problems = nonZero(counts, CONSUMER_ZERO, samples)
  if (expectCheckpoint !== undefined && counts.checkpoint !== expectCheckpoint) {
    problems.push(`checkpoint ${counts.checkpoint}, expected ${expectCheckpoint}`)
  }
  return problems
}
