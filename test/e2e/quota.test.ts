import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { e2eEngines, launchFresh, quotaCap, waitReady } from './browser.ts'
import { serveFixture } from './serve.ts'

// The origin's quota, sized so the test's 40 filler events (64 KB of text each, one
// transaction each) take 60 to 80% of it: measured, Chromium charges about 65 KB for each
// and Firefox about 165 KB.
const quotaMiB = { chromium: 4, firefox: 8, webkit: 0 }

// Quota exhaustion in each engine, with the origin's quota capped.
describe.each(e2eEngines)('quota exhaustion (%s)', (engine) => {
  let fixture: Awaited<ReturnType<typeof serveFixture>>
  beforeAll(async () => {
    fixture = await serveFixture()
  })
  afterAll(async () => {
    await fixture?.close()
  })

  it('rejects with STORAGE_FULL, loses nothing, and does not fail small appends grouped with a big one', async (ctx) => {
    ctx.skip(!quotaCap[engine], `${engine} has no way to cap an origin’s quota from its driver`)
    const browser = await launchFresh(engine, {
      quota: { origin: fixture.origin, bytes: quotaMiB[engine] * 1024 * 1024 },
    })
    try {
      const page = await browser.newTab(fixture.url)
      await waitReady(page)

      const outcome = await page.evaluate(async (mib) => {
        const { openEventStore, isBrookError } = window.brook
        const store = await openEventStore('quota', { maxEventBytes: 256 * 1024 })
        // Incompressible payloads: compressible ones slip under the quota.
        const noise = (bytes: number) => {
          const raw = crypto.getRandomValues(new Uint8Array(bytes))
          let s = ''
          for (const b of raw) s += b.toString(16).padStart(2, '0')
          return s
        }
        const fill = () => store.append('fill', [{ type: 'Blob', data: { noise: noise(32 * 1024) } }])
        let acked = 0
        // About 60% of the quota first.
        for (; acked < 40; acked++) await fill()
        // A batch that cannot fit (about 1.25 times the whole quota, so however an engine
        // counts the space, and whatever it gives back after an abort) and a small append
        // share one group commit: the batch fails alone (STORAGE_FULL), the small one lands.
        const [big, small] = await Promise.allSettled([
          store.append(
            'big',
            Array.from({ length: mib * 10 }, (_, i) => ({ type: 'Blob', data: { i, noise: noise(64 * 1024) } })),
          ),
          store.append('small', [{ type: 'Tiny', data: 1 }]),
        ])
        const codes = [big, small].map((s) =>
          s.status === 'fulfilled' ? 'ok' : isBrookError(s.reason) ? s.reason.code : 'raw',
        )
        let error: { code: string; reason: unknown } | undefined
        for (let i = 0; i < 200 && error === undefined; i++) {
          try {
            await fill()
            acked += 1
          } catch (err) {
            if (!isBrookError(err)) throw err
            error = { code: err.code, reason: err.fields.reason }
          }
        }
        let stored = 0
        for await (const e of store.read()) if (e.stream === 'fill') stored += 1
        const bigVersion = await store.streamVersion('big')
        await store.close()
        return { acked, error, codes, stored, bigVersion }
      }, quotaMiB[engine])

      expect(outcome.error?.code).toBe('STORAGE_FULL')
      expect(outcome.acked).toBeGreaterThan(10)
      expect(outcome.stored).toBe(outcome.acked)
      expect(outcome.codes[0]).toBe('STORAGE_FULL')
      expect(outcome.bigVersion).toBe(0)
      expect(outcome.codes[1]).toBe('ok')
    } finally {
      await browser.close()
    }
  })
})
