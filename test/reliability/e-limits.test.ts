import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serveFixture } from '../e2e/serve.ts'
import { History } from './history.ts'
import { createProfile, type Profile } from './profile.ts'
import { sharedBrowser } from './shared.ts'
import { FileReport, harness, large } from './report.ts'
import { firstPage, openTab } from './session.ts'
import { checkerTab, verifyConsumer, verifyLog } from './verify.ts'

// E. Limits and bad input: quota exhaustion, oversize events, every non-JSON shape, a
// consumer that awaits inside its batch, and Comlink calls pending when a worker dies.
const report = new FileReport('e-limits')
let server: Awaited<ReturnType<typeof serveFixture>>
beforeAll(async () => {
  server = await serveFixture()
})
afterAll(async () => {
  await shared.dispose()
  await server?.close()
  report.write()
})

const shared = sharedBrowser()

async function scenario(run: (profile: Profile, history: History) => Promise<void>): Promise<void> {
  const profile = createProfile()
  const history = new History()
  try {
    await harness('launch', () => profile.launch(history))
    await run(profile, history)
  } finally {
    await profile.dispose()
  }
}

describe('E: limits and bad input (real Chromium)', () => {
  it('quota exhaustion: typed STORAGE_FULL, nothing acknowledged lost, recovers when space is freed', async () => {
    await report.iteration('E1 quota', (r) =>
      scenario(async (profile, history) => {
        const context = profile.context!
        const page = await firstPage(context)
        // The override only works before the origin first touches storage (docs/browser-behaviour.md).
        await page.goto('about:blank')
        const cdp = await context.newCDPSession(page)
        await cdp.send('Storage.overrideQuotaForOrigin', { origin: server.origin, quotaSize: 4 * 1024 * 1024 })
        await harness('tab', () => openTab(context, server.url, 'q', page))
        const outcome = await page.evaluate(async () => {
          const noise = (bytes: number) => {
            // getRandomValues refuses more than 64 KiB at once.
            let s = ''
            for (let left = bytes; left > 0; left -= 65536) {
              for (const b of crypto.getRandomValues(new Uint8Array(Math.min(left, 65536)))) {
                s += b.toString(16).padStart(2, '0')
              }
            }
            return s
          }
          // Ballast in another database: freeing it is how this test makes room again.
          await new Promise<void>((resolve, reject) => {
            const req = indexedDB.open('ballast', 1)
            req.onupgradeneeded = () => req.result.createObjectStore('b')
            req.onerror = () => reject(req.error ?? new Error('ballast open failed'))
            req.onblocked = () => reject(new Error('ballast open blocked'))
            req.onsuccess = () => {
              const tx = req.result.transaction('b', 'readwrite')
              tx.objectStore('b').put(noise(800 * 1024), 1)
              tx.oncomplete = () => {
                req.result.close()
                resolve()
              }
              tx.onabort = () => reject(tx.error ?? new Error('ballast failed'))
            }
          })
          const store = await window.rel.store('quota', { maxEventBytes: 256 * 1024 })
          let full: { code: string; typed: boolean } | undefined
          let bytes = 0
          for (let i = 0; i < 400 && full === undefined; i++) {
            const op = {
              id: `q:${i}`,
              kind: 'append' as const,
              store: 'quota',
              actor: 'q',
              entries: [
                {
                  stream: `s${i % 3}`,
                  expected: 'any' as const,
                  events: [
                    { id: crypto.randomUUID(), type: 'Blob', data: { n: i, op: `q:${i}`, pad: noise(16 * 1024) } },
                  ],
                },
              ],
            }
            await window.__relRecord({ kind: 'invoke', op, t: Date.now() })
            try {
              const res = await store.append(op.entries[0]!.stream, op.entries[0]!.events, { expectedVersion: 'any' })
              void window.__relRecord({
                kind: 'ok',
                id: op.id,
                t: Date.now(),
                position: res.position,
                version: res.version,
              })
              bytes += 32 * 1024
            } catch (err) {
              const typed = window.brook.isBrookError(err)
              const failure = { code: typed ? err.code : String(err), typed, message: String(err) }
              void window.__relRecord({ kind: 'fail', id: op.id, t: Date.now(), failure })
              full = failure
            }
          }
          await new Promise<void>((resolve) => {
            const del = indexedDB.deleteDatabase('ballast')
            del.onsuccess = () => resolve()
            del.onerror = () => resolve()
          })
          // Room again: a small append must succeed (give Chromium's cached allotment time).
          let recovered = false
          const start = performance.now()
          for (let k = 0; !recovered && performance.now() - start < 40_000; k++) {
            const events = [{ id: crypto.randomUUID(), type: 'Tiny', data: { n: 0, op: `small:${k}` } }]
            const op = {
              id: `small:${k}`,
              kind: 'append' as const,
              store: 'quota',
              actor: 'q',
              entries: [{ stream: 'small', expected: 'any' as const, events }],
            }
            await window.__relRecord({ kind: 'invoke', op, t: Date.now() })
            try {
              const res = await store.append('small', events)
              void window.__relRecord({
                kind: 'ok',
                id: op.id,
                t: Date.now(),
                position: res.position,
                version: res.version,
              })
              recovered = true
            } catch (err) {
              const typed = window.brook.isBrookError(err)
              void window.__relRecord({
                kind: 'fail',
                id: op.id,
                t: Date.now(),
                failure: { code: typed ? err.code : String(err), typed, message: String(err) },
              })
              await new Promise((resolve) => setTimeout(resolve, 500))
            }
          }
          return { full, bytes, recovered, recoveredAfterMs: Math.round(performance.now() - start) }
        })
        r.fault('quota', outcome.full?.code === 'STORAGE_FULL')
        r.ratio('quotaTypedError', outcome.full?.code === 'STORAGE_FULL')
        r.ratio('quotaRecoveredAfterFree', outcome.recovered)
        r.sample('quotaBytesAtFailure', outcome.bytes)
        r.sample('quotaRecoveredAfterMs', outcome.recoveredAfterMs)
        const tab = await checkerTab(context, server.url)
        const { problems } = await verifyLog(r, tab, 'quota', history, { retry: false })
        expect(outcome.full).toMatchObject({ code: 'STORAGE_FULL', typed: true })
        expect(problems).toEqual([])
        expect(outcome.recovered).toBe(true)
      }),
    )
  }, 180_000)

  it('oversize events are refused typed before any write; events at the cap are stored', async () => {
    await report.iteration('E2 oversize', (r) =>
      shared.run(async (profile) => {
        const page = await harness('tab', async () =>
          openTab(profile.context!, server.url, 'o', await firstPage(profile.context!)),
        )
        const sizes = large() ? [1, 10, 100] : [1, 10]
        const results = await page.evaluate(async (mbs) => {
          const out: { case: string; code: string; path?: unknown; ms: number; stored: boolean }[] = []
          for (const mb of mbs) {
            for (const over of [false, true]) {
              const cap = mb * 1024 * 1024
              const store = await window.brook.openEventStore(`big-${mb}`, { maxEventBytes: cap })
              // JSON size of [type, data, meta]: leave room for the envelope, or exceed by one.
              const body = 'x'.repeat(over ? cap : cap - 64)
              const before = await store.head()
              const t = performance.now()
              let code = 'ok'
              let path: unknown
              try {
                await store.append('big', [{ type: 'Big', data: { body } }])
              } catch (err) {
                code = window.brook.isBrookError(err) ? err.code : `raw ${String(err)}`
                path = window.brook.isBrookError(err) ? err.fields.path : undefined
              }
              const ms = Math.round(performance.now() - t)
              out.push({
                case: `${mb} MiB ${over ? 'over' : 'at'} cap`,
                code,
                path,
                ms,
                stored: (await store.head()) > before,
              })
              await store.close()
            }
          }
          return out
        }, sizes)
        for (const x of results) {
          const over = x.case.includes('over')
          r.ratio('oversizeRejectedTyped', over ? x.code === 'VALIDATION' && !x.stored : x.code === 'ok' && x.stored)
          if (!over) r.sample(`appendMs ${x.case.split(' ')[0]} MiB`, x.ms)
        }
        expect(results.map((x) => [x.case, x.code, x.stored])).toEqual(
          results.map((x) => (x.case.includes('over') ? [x.case, 'VALIDATION', false] : [x.case, 'ok', true])),
        )
      }),
    )
  }, 180_000)

  it('every non-JSON shape is refused typed (VALIDATION with a path), nothing stored, store still usable', async () => {
    await report.iteration('E3 non-cloneable', (r) =>
      shared.run(async (profile) => {
        const page = await harness('tab', async () =>
          openTab(profile.context!, server.url, 'v', await firstPage(profile.context!)),
        )
        const results = await page.evaluate(async () => {
          class Point {
            x = 1
          }
          const cyclic: Record<string, unknown> = {}
          cyclic.self = cyclic
          // A hole, made without a sparse literal (lint forbids those).
          const sparse: number[] = []
          sparse[2] = 3
          const deep: Record<string, unknown> = {}
          let cur = deep
          for (let i = 0; i < 150; i++) cur = cur.d = {}
          const shapes: [string, () => unknown][] = [
            ['function', () => ({ f: () => 1 })],
            ['symbol', () => ({ s: Symbol('x') })],
            ['symbol key', () => ({ [Symbol('k')]: 1 })],
            ['DOM node', () => ({ node: document.body })],
            ['class instance', () => ({ p: new Point() })],
            ['getter', () => Object.defineProperty({}, 'g', { get: () => 1, enumerable: true })],
            ['cyclic', () => cyclic],
            ['Map', () => ({ m: new Map([[1, 2]]) })],
            ['Set', () => ({ s: new Set([1]) })],
            ['Date', () => ({ d: new Date() })],
            ['RegExp', () => ({ r: /x/ })],
            ['Error', () => ({ e: new Error('x') })],
            ['typed array', () => ({ t: new Uint8Array(2) })],
            ['ArrayBuffer', () => ({ b: new ArrayBuffer(2) })],
            ['Blob', () => ({ b: new Blob(['x']) })],
            ['Promise', () => ({ p: Promise.resolve(1) })],
            ['WeakMap', () => ({ w: new WeakMap() })],
            ['undefined value', () => ({ u: undefined })],
            ['bigint', () => ({ b: 1n })],
            ['NaN', () => ({ n: Number.NaN })],
            ['Infinity', () => ({ n: Number.POSITIVE_INFINITY })],
            ['sparse array', () => ({ a: sparse })],
            ['__proto__ key', () => JSON.parse('{"__proto__": {"polluted": true}}') as unknown],
            ['lone surrogate', () => ({ s: '\uD800' })],
            ['depth 150', () => deep],
          ]
          const store = await window.brook.openEventStore('shapes')
          const out: { shape: string; where: string; code: string; path: unknown }[] = []
          const attempt = async (shape: string, where: string, call: () => Promise<unknown>) => {
            try {
              await call()
              out.push({ shape, where, code: 'stored', path: undefined })
            } catch (err) {
              const typed = window.brook.isBrookError(err)
              out.push({
                shape,
                where,
                code: typed ? err.code : `raw ${String(err)}`,
                path: typed ? err.fields.path : '',
              })
            }
          }
          for (const [shape, make] of shapes) {
            await attempt(shape, 'data', () => store.append('s', [{ type: 'T', data: make() }]))
            await attempt(shape, 'meta', () => store.append('s', [{ type: 'T', data: 1, meta: { m: make() } }]))
          }
          await attempt('control char stream', 'stream', () => store.append('a\u0000b', [{ type: 'T', data: 1 }]))
          await attempt('empty type', 'type', () => store.append('s', [{ type: '', data: 1 }]))
          await attempt('misspelt key', 'event', () => store.append('s', [{ type: 'T', data: 1, payload: 2 } as never]))
          const head = await store.head()
          const usable = (await store.append('s', [{ type: 'T', data: 1 }])).position === head + 1
          return { out, head, usable, polluted: Object.getOwnPropertyNames(Object.prototype).includes('polluted') }
        })
        for (const x of results.out)
          r.ratio('badInputsRejectedTyped', x.code === 'VALIDATION' && typeof x.path === 'string')
        r.zero('badInputsStored', results.head)
        r.zero('prototypePollutedByBadInput', results.polluted ? 1 : 0)
        expect(results.out.filter((x) => x.code !== 'VALIDATION' || typeof x.path !== 'string')).toEqual([])
        expect({ head: results.head, usable: results.usable, polluted: results.polluted }).toEqual({
          head: 0,
          usable: true,
          polluted: false,
        })
      }),
    )
  }, 120_000)

  it('a consumer that awaits timers, fetch and PBKDF2 mid-batch, and fails half-way: exactly once', async () => {
    await report.iteration('E4 awaiting consumer', (r) =>
      scenario(async (profile, history) => {
        const context = profile.context!
        const page = await harness('tab', async () => openTab(context, server.url, 'e4', await firstPage(context)))
        const total = 300
        await page.evaluate((w) => window.rel.run(w), {
          store: 'e4',
          actor: 'fill',
          mode: 'batch',
          batchSize: 30,
          count: total,
          streams: 5,
          concurrency: 2,
        } as const)
        await page.evaluate(() => window.rel.startConsumer('e4', 'awaiting', 'first'))
        await history.until(() => history.progress.some((p) => p.position >= total / 3), 90_000, 'a third')
        await page.evaluate(() => window.rel.terminateConsumer())
        r.fault('terminate', true)
        await page.evaluate(() => window.rel.startConsumer('e4', 'awaiting', 'second'))
        await history.until(() => history.progress.some((p) => p.position >= total), 120_000, 'the end')
        const tab = await checkerTab(context, server.url)
        const { problems, dump } = await verifyLog(r, tab, 'e4', history, { retry: false })
        problems.push(...verifyConsumer(r, dump, 'awaiting', total))
        expect(problems).toEqual([])
      }),
    )
  }, 240_000)

  it('100 Comlink calls pending when the worker is terminated: all reject typed, none hang', async () => {
    await report.iteration('E5 worker RPC death', (r) =>
      shared.run(async (profile, history) => {
        const context = profile.context!
        const page = await harness('tab', async () => openTab(context, server.url, 'e5', await firstPage(context)))
        await page.evaluate(() => window.rel.startConsumer('e5', 'totals', 'c'))
        await history.until(() => history.lastProgress().get('c')?.state === 'running', 30_000, 'the consumer')
        const tally = await page.evaluate(() => window.rel.pendingCallsOnTerminate(100, 5000))
        r.fault('terminate', tally.pending === 0)
        r.zero('rpcCallsHungAfterTerminate', tally.pending)
        r.zero('rpcCallsRejectedUntyped', tally.untyped)
        r.total('rpcCallsRejectedTyped', tally.typed)
        r.total('rpcCallsResolved', tally.resolved)
        expect(tally).toMatchObject({ pending: 0, untyped: 0 })
      }),
    )
  }, 60_000)
})
