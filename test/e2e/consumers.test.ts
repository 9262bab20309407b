import { describe, expect, it } from 'vitest'
import { e2eEngines, waitUntil, type Tab } from './browser.ts'
import { e2eSuite } from './suite.ts'

interface Totals {
  count: number
  sum: number
  lastVersion: number
  violations: number
}

// Consumers in real workers of real tabs, killed in every way a browser allows. The oracle:
// the consumer's state equals a fold of the log computed here in Node, and the apply
// ledger (written in the same transaction as the state) says every event was applied once.
describe.each(e2eEngines)('consumers in workers (%s)', (engine) => {
  const e2e = e2eSuite(engine)
  const tab = () => e2e.tab()
  const fill = (page: Tab, count: number, streams: number, poison: number[] = []) =>
    page.evaluate(([c, s, p]) => window.fixture.fill(c, s, p), [count, streams, poison] as const)
  const start = (page: Tab, partitions = 1) => page.evaluate((p) => window.fixture.startTotals(p), partitions)
  /** Waits (in the page, no sleeping here) until every partition's checkpoint reached `position`. */
  const reached = (page: Tab, position: number, partitions = 1, timeout = 60_000) =>
    page.waitForFunction(
      ([pos, parts]) => {
        const seen = Object.values(window.fixture.progress)
        return seen.length === parts && seen.every((s) => s.position >= pos)
      },
      [position, partitions] as const,
      { timeout, polling: 20 },
    )
  const status = (page: Tab) => page.evaluate(() => window.fixture.consumer?.status())
  const log = (page: Tab) =>
    page.evaluate(async () => {
      const store = await window.fixture.store('consumers')
      const events: { id: string; stream: string; version: number; type: string; n: number }[] = []
      for await (const e of store.read()) {
        events.push({ id: e.id, stream: e.stream, version: e.version, type: e.type, n: (e.data as { n: number }).n })
      }
      return events
    })

  /** The checker: state = fold(log) for every non-poison event, each applied exactly once. */
  async function expectExactlyOnce(page: Tab, partitions = 1, applied = 1) {
    const events = await log(page)
    const state = await page.evaluate((p) => window.fixture.totalsState(p), partitions)
    const expected = new Map<string, Totals>()
    for (const e of events) {
      if (e.type === 'Poison') continue
      const t = expected.get(e.stream) ?? { count: 0, sum: 0, lastVersion: 0, violations: 0 }
      // A parked event leaves a gap in its stream, which the consumer's order check counts.
      const violations = t.violations + (e.version === t.lastVersion + 1 ? 0 : 1)
      expected.set(e.stream, { count: t.count + 1, sum: t.sum + e.n, lastVersion: e.version, violations })
    }
    for (const [stream, totals] of expected) expect(state[`stream:${stream}`], stream).toEqual(totals)
    const ledger = Object.entries(state).filter(([k]) => k.startsWith('applied:'))
    const good = events.filter((e) => e.type !== 'Poison')
    expect(ledger.length).toBe(good.length)
    const counts = new Set(ledger.map(([, v]) => v))
    expect([...counts]).toEqual([applied])
  }

  it('killing the worker mid-batch, again and again, never applies an event twice or skips one', async (ctx) => {
    e2e.needCleanWorkerKill(ctx)
    const a = await tab()
    await fill(a, 3000, 12)
    for (const target of [150, 400, 700, 1000, 1400, 1800, 2200, 2600]) {
      await start(a)
      await reached(a, target)
      await a.evaluate(() => window.fixture.consumer?.terminate())
    }
    await start(a)
    await reached(a, 3000)
    await expectExactlyOnce(a)
  })

  it('a tab crash mid-batch is survived by the next tab that starts the consumer', async (ctx) => {
    const crash = e2e.fault(ctx, 'crash')
    const a = await tab()
    await fill(a, 2000, 8)
    await start(a)
    await reached(a, 300)
    await crash(a)
    const b = await tab()
    await start(b)
    await reached(b, 2000)
    await expectExactlyOnce(b)
  })

  // Where the driver cannot crash one tab (Firefox, WebKit), the second failover is a close too.
  it('three tabs run one instance; it fails over when its tab closes, then when it crashes (or closes)', async () => {
    const die = e2e.faults.crash ?? ((t: Tab) => t.close())
    const tabs = [await tab(), await tab(), await tab()]
    await fill(tabs[0] as Tab, 200, 5)
    for (const t of tabs) await start(t)
    const states = async (pages: Tab[]) => Promise.all(pages.map(async (p) => (await status(p))?.state))
    const runningTab = async (pages: Tab[]) => {
      // Exactly one runs; waiting for the lease to settle is waiting for a page function.
      await Promise.race(pages.map((p) => p.waitForFunction(() => window.fixture.progress[0]?.state === 'running')))
      const s = await states(pages)
      expect(s.filter((x) => x === 'running')).toHaveLength(1)
      expect(s.filter((x) => x === 'standby')).toHaveLength(pages.length - 1)
      return pages[s.indexOf('running')] as Tab
    }
    let leader = await runningTab(tabs)
    await reached(leader, 200)
    await leader.close()
    let rest = tabs.filter((t) => t !== leader)
    await fill(rest[0] as Tab, 200, 5)
    leader = await runningTab(rest)
    await reached(leader, 400)
    await die(leader)
    rest = rest.filter((t) => t !== leader)
    const last = rest[0] as Tab
    await fill(last, 200, 5)
    await runningTab([last])
    await reached(last, 600)
    await expectExactlyOnce(last)
  })

  it('a running tab that goes into the back/forward cache hands over, and stands by when restored', async (ctx) => {
    await e2e.needBackForwardCache(ctx)
    const [a, b] = [await tab(), await tab()]
    await fill(a, 200, 4)
    await start(a)
    await a.waitForFunction(() => window.fixture.progress[0]?.state === 'running')
    await start(b)
    expect((await status(b))?.state).toBe('standby')
    await a.evaluate(() =>
      window.addEventListener('pageshow', (e) => {
        if (e.persisted) document.body.dataset.restored = 'true'
      }),
    )
    await a.goto(e2e.fixture.url.replace('127.0.0.1', 'localhost'))
    await b.waitForFunction(() => window.fixture.progress[0]?.state === 'running')
    // Handed over because A let go, not taken over by B's stall detection.
    expect(await b.evaluate(() => window.fixture.states)).not.toContain('0:stalled')
    await fill(b, 100, 4)
    await reached(b, 300)
    await a.goBack()
    await a.waitForSelector('body[data-restored="true"]')
    await waitUntil(
      a,
      async () => (await window.fixture.consumer?.status().catch(() => undefined))?.state === 'standby',
    )
    await expectExactlyOnce(b)
  })

  it('a consumer whose database another tab upgrades fails typed and frees its lease', async () => {
    const [a, b] = [await tab(), await tab()]
    await fill(a, 50, 2)
    await start(a)
    await reached(a, 50)
    // Tab B opens the database at a newer schema, as newer code would.
    await b.evaluate(
      () =>
        new Promise<void>((resolve, reject) => {
          const req = indexedDB.open('brook:consumers', 1000)
          req.onsuccess = () => {
            req.result.close()
            resolve()
          }
          req.onerror = () => reject(req.error ?? new Error('open failed'))
        }),
    )
    await a.evaluate(() => window.fixture.fill(1, 1).catch(() => undefined))
    await a.waitForFunction(() => window.fixture.progress[0]?.state === 'failed')
    expect(await a.evaluate(() => window.fixture.progress[0]?.error)).toContain('newer version')
    await waitUntil(b, async () => {
      const { held = [] } = await navigator.locks.query()
      return !held.some((l) => l.name === 'brook:lease:consumers:totals')
    })
  })

  it('a tab frozen by CDP: its worker runs on, so the log keeps moving and nothing is applied twice', async (ctx) => {
    const freeze = e2e.fault(ctx, 'freeze')
    // Measured here: Page.setWebLifecycleState('frozen') fires no `freeze` event and leaves
    // dedicated workers running. (On a real `freeze` event the page ends its workers and
    // starts them again on `resume`, as for the back/forward cache.)
    const [a, b] = [await tab(), await tab()]
    await start(a)
    await a.waitForFunction(() => window.fixture.progress[0]?.state === 'running')
    await start(b)
    await b.waitForFunction(() => window.fixture.progress[0]?.state === 'standby')
    await freeze(a, true)
    await fill(b, 300, 3)
    await waitUntil(b, async () => (await window.fixture.consumer?.status())?.position === 300)
    expect((await status(b))?.state).toBe('standby')
    await freeze(a, false)
    await fill(b, 100, 3)
    await waitUntil(b, async () => (await window.fixture.consumer?.status())?.position === 400)
    await expectExactlyOnce(b)
  })

  it('a hung leader is noticed: the standby reports stalled, takes over, and nothing is applied twice', async () => {
    const [a, b] = [await tab(), await tab()]
    a.onConsole((text) => console.log('A>', text))
    b.onConsole((text) => console.log('B>', text))
    await a.evaluate(() => window.fixture.startTotals(1, true)) // hangs on Spin
    await a.waitForFunction(() => window.fixture.progress[0]?.state === 'running')
    await start(b)
    await b.waitForFunction(() => window.fixture.progress[0]?.state === 'standby')
    await fill(b, 50, 2)
    await reached(a, 50)
    await b.evaluate(async () => {
      const store = await window.fixture.store('consumers')
      await store.append('s0', [{ type: 'Spin', data: { n: 0 } }])
    })
    await fill(b, 50, 2)
    // No heartbeat for 5 s with work waiting: B says so, then takes the lease.
    await b.waitForFunction(() => window.fixture.progress[0]?.state === 'running', undefined, { timeout: 30_000 })
    const states = await b.evaluate(() => window.fixture.states)
    expect(states.slice(states.indexOf('0:stalled'))).toEqual(['0:stalled', '0:running'])
    await reached(b, 101)
    // A wakes from its loop fenced: it stands by.
    await waitUntil(a, async () => (await window.fixture.consumer?.status())?.state === 'standby', undefined, 20_000)
    await fill(b, 50, 2)
    await reached(b, 151)
    const state = await b.evaluate(() => window.fixture.totalsState(1))
    const applied = Object.entries(state).filter(([k]) => k.startsWith('applied:'))
    expect(applied.length).toBe(151)
    const events = await log(b)
    const odd = applied
      .filter(([, v]) => v !== 1)
      .map(([k, v]) => [events.find((e) => `applied:${e.id}` === k)?.version, v])
    expect(odd).toEqual([])
  })

  it('partitions split streams over workers and keep each stream in order', async () => {
    const a = await tab()
    await fill(a, 1500, 20)
    await start(a, 3)
    await reached(a, 1500, 3)
    const s = await status(a)
    expect(s?.partitions.map((p) => p.state)).toEqual(['running', 'running', 'running'])
    await expectExactlyOnce(a, 3)
    // Each partition handled some streams, and no stream in two partitions.
    const state = await a.evaluate(() => window.fixture.totalsState(3))
    const violations = Object.entries(state).filter(([k, v]) => k.startsWith('stream:') && (v as Totals).violations > 0)
    expect(violations).toEqual([])
  })

  it('a poison event is parked after its attempts and the consumer goes on; parked can be listed', async () => {
    const a = await tab()
    await fill(a, 300, 4, [42, 250])
    await start(a)
    await reached(a, 300)
    const s = await status(a)
    expect(s?.parked).toBe(2)
    const parked = await a.evaluate(() => window.fixture.consumer?.parked())
    expect(parked?.map((p) => [p.position, p.type, p.attempts])).toEqual([
      [43, 'Poison', 2],
      [251, 'Poison', 2],
    ])
    expect(parked?.[0]?.error).toContain('poison at 43')
    await expectExactlyOnce(a)

    // A rebuild drops the parked rows it passes (they are handled again, and park again).
    await a.evaluate(() => window.fixture.consumer?.reset('start'))
    await waitUntil(a, async () => (await window.fixture.consumer?.status())?.position === 300)
    expect((await status(a))?.parked).toBe(2)
    expect(await a.evaluate(async () => (await window.fixture.consumer?.parked())?.length)).toBe(2)
    await expectExactlyOnce(a)

    // Cured (state written directly, checkpoint unchanged), the parked events replay once.
    await a.evaluate(async () => {
      const storage = await window.brook.openConsumerStorage('consumers', 'totals')
      const at = await storage.checkpoint()
      await storage.commit(at, at, { changes: new Map([['cured', true]]) })
      storage.close()
    })
    expect(await a.evaluate(() => window.fixture.consumer?.replayParked())).toBe(2)
    expect(await a.evaluate(() => window.fixture.consumer?.parked())).toEqual([])
    const poisonIds = (await log(a)).filter((e) => e.type === 'Poison').map((e) => e.id)
    const state = await a.evaluate(() => window.fixture.totalsState(1))
    expect(poisonIds.map((id) => state[`applied:${id}`])).toEqual([1, 1])
  })

  it("onFailure: 'stop' stops before the failing batch, typed, and keeps its lease", async () => {
    const a = await tab()
    await fill(a, 100, 3, [55])
    await a.evaluate(() => window.fixture.startStrict())
    await a.waitForFunction(() => window.fixture.progress[0]?.state === 'failed')
    const s = await status(a)
    expect(s?.state).toBe('failed')
    expect(s?.parked).toBe(0)
    // Batches of 10: everything before the batch holding position 56 is done, nothing after.
    expect(s?.position).toBe(50)
    expect(s?.partitions[0]?.error).toContain('poison at 56')
    const held = await a.evaluate(async () => (await navigator.locks.query()).held?.map((l) => l.name))
    expect(held).toContain('brook:lease:consumers:strict')
  })

  it('pause holds the checkpoint while the log grows; resume catches up', async () => {
    const a = await tab()
    await fill(a, 100, 2)
    await start(a)
    await reached(a, 100)
    await a.evaluate(() => window.fixture.consumer?.pause())
    await fill(a, 100, 2)
    await waitUntil(a, async () => {
      const s = await window.fixture.consumer?.status()
      return s?.head === 200 && s.state === 'paused'
    })
    expect(await status(a)).toMatchObject({ position: 100, lag: 100, state: 'paused' })
    await a.evaluate(() => window.fixture.consumer?.resume())
    await reached(a, 200)
    await expectExactlyOnce(a)
  })

  it('errors from the worker arrive as BrookErrors with their code and fields', async () => {
    const [a, b] = [await tab(), await tab()]
    await start(a)
    await a.waitForFunction(() => window.fixture.progress[0]?.state === 'running')
    await start(b)
    const err = await b.evaluate(async () => {
      try {
        await window.fixture.consumer?.replayParked()
        return 'resolved'
      } catch (e) {
        return window.brook.isBrookError(e, 'VALIDATION') ? { code: e.code, path: e.path, reason: e.reason } : String(e)
      }
    })
    expect(err).toMatchObject({ code: 'VALIDATION', path: 'replayParked' })
    expect((err as { reason: string }).reason).toContain('standby')
    const badReset = await a.evaluate(async () => {
      try {
        await window.fixture.consumer?.reset(Number.NaN)
        return 'resolved'
      } catch (e) {
        return window.brook.isBrookError(e, 'VALIDATION') ? e.path : String(e)
      }
    })
    expect(badReset).toBe('position')
  })

  it('derived events commit with the checkpoint: killed again and again, each cause yields exactly one', async (ctx) => {
    e2e.needCleanWorkerKill(ctx)
    const a = await tab()
    await fill(a, 1500, 6)
    const startDerive = () => a.evaluate(() => window.fixture.startModule('derive'))
    for (const target of [100, 350, 600, 900, 1200]) {
      await startDerive()
      await reached(a, target)
      await a.evaluate(() => window.fixture.consumer?.terminate())
    }
    await startDerive()
    // The derived events lengthen the log the consumer reads: 1,500 causes, 1,500 effects.
    await reached(a, 3000)
    const events = await a.evaluate(async () => {
      const store = await window.fixture.store('consumers')
      const out: { id: string; stream: string; version: number; type: string; n: number; cause: unknown }[] = []
      for await (const e of store.read()) {
        const n = (e.data as { n: number }).n
        out.push({ id: e.id, stream: e.stream, version: e.version, type: e.type, n, cause: e.meta.causationId })
      }
      return out
    })
    expect(events).toHaveLength(3000)
    const causes = new Map(events.filter((e) => e.type === 'Added').map((e) => [e.id, e]))
    const derived = events.filter((e) => e.type === 'Derived')
    expect(derived).toHaveLength(1500)
    expect(new Set(derived.map((e) => e.cause)).size).toBe(1500)
    for (const d of derived) {
      const cause = causes.get(d.cause as string)
      expect(cause, `cause of ${d.id}`).toBeDefined()
      expect(d.stream).toBe(`derived-${cause?.stream}`)
      expect(d.n).toBe((cause?.n ?? 0) * 2)
    }
    // Per derived stream, the causes' order is kept (a batch appends in position order).
    const byStream = new Map<string, number[]>()
    for (const d of derived)
      byStream.set(d.stream, [...(byStream.get(d.stream) ?? []), causes.get(d.cause as string)?.n ?? -1])
    for (const [stream, ns] of byStream) expect(ns, stream).toEqual([...ns].sort((x, y) => x - y))
  })

  it('a worker that fails to load or to start rejects startConsumer with WORKER_FAILED instead of hanging', async () => {
    const a = await tab()
    for (const module of ['invalid', 'missing'] as const) {
      const outcome = await a.evaluate(async (m) => {
        try {
          await window.fixture.startModule(m)
          return 'started'
        } catch (e) {
          return window.brook.isBrookError(e) ? { code: e.code, reason: e.fields.reason } : String(e)
        }
      }, module)
      expect(outcome, module).toMatchObject({ code: 'WORKER_FAILED' })
    }
  })

  it('calls pending when the worker dies all reject with WORKER_FAILED; none hangs', async () => {
    const a = await tab()
    await fill(a, 200, 2)
    await start(a)
    const outcomes = await a.evaluate(async () => {
      const consumer = window.fixture.consumer
      if (consumer === undefined) throw new Error('no consumer')
      const calls = Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? consumer.status() : consumer.parked()))
      consumer.terminate()
      const settled = await Promise.allSettled(calls)
      const later = await consumer.status().then(
        () => 'resolved',
        (e: unknown) => (window.brook.isBrookError(e) ? e.code : String(e)),
      )
      return {
        codes: settled.map((r) =>
          r.status === 'rejected' && window.brook.isBrookError(r.reason) ? r.reason.code : r.status,
        ),
        later,
      }
    })
    // Calls the worker answered before it died may have resolved; every other one rejected typed.
    expect(outcomes.codes.filter((c) => c !== 'fulfilled' && c !== 'WORKER_FAILED')).toEqual([])
    expect(outcomes.codes.filter((c) => c === 'WORKER_FAILED').length).toBeGreaterThan(0)
    expect(outcomes.later).toBe('STORE_CLOSED')
  })

  it("reset('start') rebuilds the state from the log; reset(position) replays from there", async () => {
    const a = await tab()
    await fill(a, 400, 4)
    await start(a)
    await reached(a, 400)
    await a.evaluate(() => window.fixture.consumer?.reset('start'))
    // Asked after the reset returned (progress reports from before it may still be in flight).
    await waitUntil(a, async () => {
      const status = await window.fixture.consumer?.status()
      return status?.position === 400 && status.state === 'running'
    })
    await expectExactlyOnce(a)
    await a.evaluate(() => window.fixture.consumer?.reset(1))
    await reached(a, 400)
    await waitUntil(a, async () => (await window.fixture.consumer?.status())?.position === 400)
    // State kept, events replayed: each event now applied twice, as asked.
    const state = await a.evaluate(() => window.fixture.totalsState(1))
    const ledger = Object.entries(state).filter(([k]) => k.startsWith('applied:'))
    expect(new Set(ledger.map(([, v]) => v))).toEqual(new Set([2]))
  })
})
