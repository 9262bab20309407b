import { readdirSync, statSync, truncateSync } from 'node:fs'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serveFixture } from '../e2e/serve.ts'
import { killBrowser } from './faults.ts'
import { History } from './history.ts'
import { markReached } from './mark.ts'
import { createProfile } from './profile.ts'
import type { Workload } from './protocol.ts'
import { FileReport, harness, iterations } from './report.ts'
import { checkLog, nonZero } from './checker.ts'
import { dumpStore, firstPage, openTab } from './session.ts'
import { straceMissing, traceSyncs } from './strace.ts'

// A. Durability as promised (fdatasync per acknowledged strict append, counted with strace),
// and a log that went backwards (site data cleared, LevelDB log truncated) must be reported
// as a typed error (LOG_REGRESSED / STORAGE_LOST), not accepted silently.
const report = new FileReport('a-durability')
let server: Awaited<ReturnType<typeof serveFixture>>
beforeAll(async () => {
  server = await serveFixture()
})
afterAll(async () => {
  await server?.close()
  report.write()
})

const APPENDS = 50
const single = (store: string, count: number): Workload => ({
  store,
  actor: store,
  mode: 'single',
  count,
  streams: 4,
  concurrency: 1,
})

/** Opens store `name` in a page and says how it went: 'ok' or the error code, with its fields. */
const openOutcome = (page: Page, name: string, acceptRegression = false) =>
  page.evaluate(
    async ([n, accept]) => {
      try {
        const s = await window.brook.openEventStore(n, accept ? { acceptRegression: true } : {})
        const head = await s.head()
        await s.close()
        const fields: Record<string, unknown> = {}
        return { code: 'ok', head, fields }
      } catch (err) {
        if (window.brook.isBrookError(err, 'LOG_REGRESSED')) {
          const { expected, actual, reason } = err
          const fields: Record<string, unknown> = { expected, actual, reason }
          return { code: 'LOG_REGRESSED', head: -1, fields }
        }
        return { code: window.brook.isBrookError(err) ? err.code : `raw ${String(err)}`, head: -1, fields: {} }
      }
    },
    [name, acceptRegression] as const,
  )

/** A LOG_REGRESSED as the fix defines it: the remembered head above the actual one, a reason. */
const regressed = (o: Awaited<ReturnType<typeof openOutcome>>, actual: number) =>
  o.code === 'LOG_REGRESSED' &&
  o.fields.actual === actual &&
  typeof o.fields.expected === 'number' &&
  o.fields.expected > actual &&
  typeof o.fields.reason === 'string'

describe('A: durability and storage loss (real Chromium)', () => {
  it('default (strict) appends: at least one fdatasync on the IndexedDB log per acknowledged append', async () => {
    const missing = straceMissing()
    if (missing !== undefined) {
      report.notRun('fsyncPerAppend', missing)
      return
    }
    await report.iteration('A fsync count', async (r) => {
      const profile = createProfile()
      const history = new History()
      try {
        const context = await harness('launch', () => profile.launch(history))
        const page = await harness('tab', async () => openTab(context, server.url, 'p', await firstPage(context)))
        const measure = async (store: string, durability: 'strict' | 'relaxed' | 'default') => {
          // Open first (schema creation syncs too), then trace only the appends.
          await page.evaluate(([s, d]) => window.rel.store(s, d === 'default' ? {} : { durability: d }), [
            store,
            durability,
          ] as const)
          const trace = await traceSyncs(profile.pid, join(tmpdir(), `brook-strace-${process.pid}-${store}.txt`))
          const acked = await page.evaluate((w) => window.rel.run(w), single(store, APPENDS))
          const { onIndexedDb } = await trace.stop()
          return { acked, syncs: onIndexedDb }
        }
        const byDefault = await measure('fsync-default', 'default')
        const relaxed = await measure('fsync-relaxed', 'relaxed')
        r.total('fsyncDefaultAppends', byDefault.acked)
        r.total('fsyncDefaultSyncs', byDefault.syncs)
        r.total('fsyncRelaxedAppends', relaxed.acked)
        r.total('fsyncRelaxedSyncs', relaxed.syncs)
        r.zero('appendsAckedDurableWithoutFsync', Math.max(0, byDefault.acked - byDefault.syncs))
        expect(byDefault.acked).toBe(APPENDS)
        expect(byDefault.syncs).toBeGreaterThanOrEqual(byDefault.acked)
      } finally {
        await profile.dispose()
      }
    })
  }, 180_000)

  it('site data cleared under an open store: surfaced typed, and the reopened (empty) log is reported as regressed', async () => {
    await report.iteration('A cleared site data', async (r) => {
      const profile = createProfile()
      const history = new History()
      try {
        const context = await harness('launch', () => profile.launch(history))
        const page = await harness('tab', async () => openTab(context, server.url, 'p', await firstPage(context)))
        expect(await page.evaluate((w) => window.rel.run(w), single('cleared', 50))).toBe(50)
        await markReached(page, 'cleared', 50)
        const cdp = await context.newCDPSession(page)
        await cdp.send('Storage.clearDataForOrigin', { origin: server.origin, storageTypes: 'indexeddb' })
        r.fault('clear-site-data', true)
        // The open store: its next append must fail typed (its database is gone), not
        // succeed into a fresh empty log.
        const next = await page.evaluate(async () => {
          const store = await window.rel.store('cleared')
          try {
            const res = await store.append('after', [{ type: 'Added', data: { n: 0, op: 'after' } }])
            return `ok at ${res.position}`
          } catch (err) {
            return window.brook.isBrookError(err) ? err.code : `raw ${String(err)}`
          }
        })
        r.ratio('storageLossSurfacedTyped', next !== 'ok at 1' && !next.startsWith('raw') && !next.startsWith('ok'))
        const reopened = await openOutcome(page, 'cleared')
        const detected = regressed(reopened, 0)
        r.ratio('logRegressionDetected', detected)
        // The app may choose to open the regressed log anyway (to resync it).
        const accepted = await openOutcome(page, 'cleared', true)
        r.ratio('regressionAcceptedOnRequest', accepted.code === 'ok' && accepted.head === 0)
        expect({ next, reopened, accepted: accepted.code }).toEqual({
          next: expect.stringMatching(/^(STORE_CLOSED|STORAGE_LOST)$/) as unknown,
          reopened: {
            code: 'LOG_REGRESSED',
            head: -1,
            fields: { expected: expect.any(Number) as unknown, actual: 0, reason: expect.any(String) as unknown },
          },
          accepted: 'ok',
        })
        expect(detected).toBe(true)
      } finally {
        await profile.dispose()
      }
    })
  }, 120_000)

  it('LevelDB log truncated after a browser SIGKILL: a clean prefix, reported as regressed', async () => {
    for (let i = 0; i < iterations(1); i++) {
      await report.iteration('A truncated log', async (r) => {
        const profile = createProfile()
        const history = new History()
        try {
          const context = await harness('launch', () => profile.launch(history))
          const page = await harness('tab', async () => openTab(context, server.url, 'p', await firstPage(context)))
          expect(await page.evaluate((w) => window.rel.run(w), single('cut', 100))).toBe(100)
          const log = leveldbLog(profile.dir, server.origin)
          const half = statSync(log).size
          expect(await page.evaluate((w) => window.rel.run(w), { ...single('cut', 100), actor: 'cut-2' })).toBe(100)
          await markReached(page, 'cut', 200)
          await killBrowser(profile)
          const full = statSync(log).size
          // Cut the unsynced-tail stand-in: somewhere in the second hundred appends.
          truncateSync(log, half + Math.floor(Math.random() * (full - half) * 0.9))
          r.fault('truncate-log', true)
          const relaunched = await harness('relaunch', () => profile.launch(history))
          const checker = await harness('tab', async () =>
            openTab(relaunched, server.url, 'c', await firstPage(relaunched)),
          )
          // What survived must still be a clean prefix: no gaps, no torn batch. (Acknowledged
          // events cut off here were lost on purpose: not counted as `lost`.)
          const dump = await harness('dump', () => dumpStore(relaunched, '', 'cut', checker))
          const { counts, samples } = checkLog(history.list(), dump)
          const prefix = ['torn', 'positionGaps', 'versionGaps', 'orderViolations', 'duplicates', 'unexpected'] as const
          for (const k of prefix) r.zero(k, counts[k])
          const lostByCut = 200 - dump.events.length
          r.total('eventsCutFromLog', lostByCut)
          expect(nonZero(counts, prefix, samples)).toEqual([])
          if (lostByCut === 0) return // the cut fell in LevelDB bookkeeping: nothing regressed
          const reopened = await openOutcome(checker, 'cut')
          const detected = regressed(reopened, dump.events.length)
          r.ratio('logRegressionDetected', detected)
          const accepted = await openOutcome(checker, 'cut', true)
          r.ratio('regressionAcceptedOnRequest', accepted.code === 'ok' && accepted.head === dump.events.length)
          expect(
            { code: reopened.code, fields: reopened.fields, accepted },
            `head ${dump.events.length} after acknowledging 200`,
          ).toMatchObject({
            code: 'LOG_REGRESSED',
            fields: { actual: dump.events.length },
            accepted: { code: 'ok', head: dump.events.length },
          })
          expect(detected).toBe(true)
        } finally {
          await profile.dispose()
        }
      })
    }
  }, 300_000)
})

/** The LevelDB write-ahead log of the origin's IndexedDB in `profileDir`. */
function leveldbLog(profileDir: string, origin: string): string {
  const host = new URL(origin)
  const dir = join(profileDir, 'Default', 'IndexedDB', `http_${host.hostname}_${host.port}.indexeddb.leveldb`)
  const logs = readdirSync(dir).filter((f) => f.endsWith('.log'))
  const biggest = logs.map((f) => join(dir, f)).sort((a, b) => statSync(b).size - statSync(a).size)[0]
  if (biggest === undefined) throw new Error(`no LevelDB log in ${dir}`)
  return biggest
}
