import { describe, expect, it } from 'vitest'
import { e2eEngines, waitUntil, type Tab } from './browser.ts'
import { e2eSuite } from './suite.ts'

// Several real tabs (and a worker) of one browser profile, driven from Node, in each engine.
describe.each(e2eEngines)('live across tabs and workers (%s)', (engine) => {
  const e2e = e2eSuite(engine)
  const tab = (init?: string) => e2e.tab(init)
  const received = (page: Tab, key: string) => page.evaluate((k) => window.fixture.received(k), key)
  /** Waits in the page (no sleeps in the test) until subscriber `key` holds `n` events. */
  const waitFor = (page: Tab, key: string, n: number) =>
    page.waitForFunction(([k, count]) => window.fixture.received(k).positions.length >= count, [key, n] as const, {
      timeout: 60_000,
      polling: 50,
    })
  const logIds = (page: Tab, name: string) =>
    page.evaluate(async (n) => {
      const store = await window.fixture.store(n)
      const ids: string[] = []
      for await (const e of store.read()) ids.push(e.id)
      return ids
    }, name)

  it('delivers bursts from tab A to a subscriber in tab B and one in a worker: all, once, in order', async () => {
    const [a, b] = [await tab(), await tab()]
    await b.evaluate(() => window.fixture.subscribe('page', 'burst', 'start'))
    await b.evaluate(() => window.fixture.subscribeInWorker('worker', 'burst', 'start', 'none'))
    const total = await a.evaluate(async () => {
      const store = await window.fixture.store('burst')
      const ev = (i: number) => ({ type: 'Reading', data: { i } })
      let n = 0
      // Bursts of 1 to 5,000 events in one transaction each...
      for (const size of [1, 10, 100, 1000, 5000]) {
        await store.append(
          `burst-${size}`,
          Array.from({ length: size }, (_, i) => ev(n + i)),
        )
        n += size
      }
      // ...and many small appends at once.
      await Promise.all(Array.from({ length: 300 }, (_, i) => store.append(`small-${i % 7}`, [ev(n + i)])))
      return n + 300
    })
    await waitFor(b, 'page', total)
    await waitFor(b, 'worker', total)
    const ids = await logIds(a, 'burst')
    const expected = Array.from({ length: total }, (_, i) => i + 1)
    for (const key of ['page', 'worker']) {
      const r = await received(b, key)
      expect(r.positions, key).toEqual(expected)
      expect(r.ids, key).toEqual(ids)
      expect(r.errors, key).toEqual([])
    }
  })

  it("'end' subscribers in other tabs see only events appended after they subscribed", async () => {
    const [a, b] = [await tab(), await tab()]
    await a.evaluate(async () => {
      const store = await window.fixture.store('end')
      await store.append(
        's',
        Array.from({ length: 10 }, (_, i) => ({ type: 'Old', data: i })),
      )
    })
    await b.evaluate(() => window.fixture.subscribe('end', 'end', 'end'))
    await b.evaluate(() => window.fixture.subscribeInWorker('worker-end', 'end', 'end', 'none'))
    await a.evaluate(async () => {
      const store = await window.fixture.store('end')
      await store.append(
        's',
        Array.from({ length: 5 }, (_, i) => ({ type: 'New', data: i })),
      )
    })
    await waitFor(b, 'end', 5)
    await waitFor(b, 'worker-end', 5)
    expect((await received(b, 'end')).positions).toEqual([11, 12, 13, 14, 15])
    expect((await received(b, 'worker-end')).positions).toEqual([11, 12, 13, 14, 15])
  })

  it('pub/sub reaches every tab and worker subscribed now, and no late subscriber', async () => {
    const [a, b] = [await tab(), await tab()]
    await b.evaluate(() => window.fixture.listen('b', 'pubsub', 'news'))
    await b.evaluate(() => window.fixture.subscribeInWorker('w', 'pubsub', 'end', 'news'))
    await a.evaluate(() => {
      const bus = window.brook.createBus('pubsub')
      for (const n of [1, 2, 3]) bus.publish('news', { n })
    })
    await b.waitForFunction(
      () => window.fixture.received('b').messages.length >= 3 && window.fixture.received('w').messages.length >= 3,
    )
    const c = await tab()
    await c.evaluate(() => window.fixture.listen('c', 'pubsub', 'news'))
    await a.evaluate(() => window.brook.createBus('pubsub').publish('news', { n: 4 }))
    await c.waitForFunction(() => window.fixture.received('c').messages.length >= 1)
    await b.waitForFunction(() => window.fixture.received('b').messages.length >= 4)
    expect((await received(b, 'b')).messages).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }])
    expect((await received(b, 'w')).messages.slice(0, 3)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }])
    expect((await received(c, 'c')).messages).toEqual([{ n: 4 }])
  })

  it('a malformed message from another tab is ignored and reported, not thrown', async () => {
    const [a, b] = [await tab(), await tab()]
    await b.evaluate(() => window.fixture.listen('b', 'hostile', 'news'))
    await a.evaluate(() => {
      const raw = new BroadcastChannel('brook:hostile')
      raw.postMessage({ protocol: 99, kind: 'topic', sender: 'x', topic: 'news', message: 'future' })
      raw.postMessage({ kind: 'topic', topic: 'news' })
      raw.close()
      window.brook.createBus('hostile').publish('news', 'valid')
    })
    await b.waitForFunction(() => window.fixture.received('b').messages.length >= 1)
    const r = await received(b, 'b')
    expect(r.messages).toEqual(['valid'])
    expect(r.errors).toEqual(['VALIDATION: message.protocol', 'VALIDATION: message.protocol'])
  })

  it('closing the appending tab mid-burst leaves subscribers with exactly the committed prefix', async () => {
    const [a, b] = [await tab(), await tab()]
    await b.evaluate(() => window.fixture.subscribe('prefix', 'prefix', 'start'))
    // Tab A appends batches of 100 until it is closed under it.
    await a.evaluate(() => {
      void (async () => {
        const store = await window.fixture.store('prefix')
        for (let i = 0; ; i++) {
          await store.append(
            's',
            Array.from({ length: 100 }, (_, j) => ({ type: 'T', data: i * 100 + j })),
          )
          if (i === 10) document.body.dataset.tenth = 'true'
        }
      })()
    })
    await a.waitForSelector('body[data-tenth="true"]')
    await a.close()
    const head = await b.evaluate(async () => (await window.fixture.store('prefix')).head())
    expect(head % 100).toBe(0) // no torn batch
    expect(head).toBeGreaterThanOrEqual(1100)
    await waitFor(b, 'prefix', head)
    const r = await received(b, 'prefix')
    expect(r.positions).toEqual(Array.from({ length: head }, (_, i) => i + 1))
    expect(await logIds(b, 'prefix')).toEqual(r.ids)
  })

  it('converges with BroadcastChannel blocked entirely (notices are only hints)', async (ctx) => {
    e2e.needInitScripts(ctx)
    const noChannel = `window.BroadcastChannel = class { postMessage() {} close() {} addEventListener() {} removeEventListener() {} }`
    const [a, b] = [await tab(noChannel), await tab(noChannel)]
    await b.evaluate(() => window.fixture.subscribe('blind', 'blind', 'start', 100))
    await a.evaluate(async () => {
      const store = await window.fixture.store('blind')
      for (let i = 0; i < 20; i++)
        await store.append('s', [
          { type: 'T', data: i },
          { type: 'T', data: -i },
        ])
    })
    await waitFor(b, 'blind', 40)
    expect((await received(b, 'blind')).positions).toEqual(Array.from({ length: 40 }, (_, i) => i + 1))
  })

  describe('leases (Web Locks) across tabs', () => {
    const leaseState = (page: Tab) => page.evaluate(() => document.body.dataset.lease ?? 'waiting')
    const held = (page: Tab) => page.waitForSelector('body[data-lease="held"]')
    /** Waits until `page` sees a request for the lease queued behind the holder. */
    const queued = (page: Tab, name: string) =>
      waitUntil(
        page,
        async (n: string) => ((await navigator.locks.query()).pending ?? []).some((l) => l.name === `brook:lease:${n}`),
        name,
      )

    /** Three tabs ask for one lease: `a` holds it, `b` and `c` wait behind it. */
    const contenders = async (name: string) => {
      const [a, b, c] = [await tab(), await tab(), await tab()]
      await a.evaluate((n) => window.fixture.lease(n), name)
      await held(a)
      await b.evaluate((n) => window.fixture.lease(n), name)
      await c.evaluate((n) => window.fixture.lease(n), name)
      await queued(a, name)
      expect([await leaseState(b), await leaseState(c)]).toEqual(['waiting', 'waiting'])
      return [a, b, c] as const
    }

    it('one holder; handed over when the holder tab closes, then again', async () => {
      const [a, b, c] = await contenders('leader')
      await a.close()
      await held(b)
      expect(await leaseState(c)).toBe('waiting')
      await b.close()
      await held(c)
    })

    it('one holder; handed over when the holder tab crashes', async (ctx) => {
      const crash = e2e.fault(ctx, 'crash')
      const [a, b, c] = await contenders('leader')
      await crash(a)
      await held(b) // the next in line
      expect(await leaseState(c)).toBe('waiting')
    })

    it('a holder that goes into the back/forward cache hands over instead of starving the others', async (ctx) => {
      await e2e.needBackForwardCache(ctx)
      const [a, b] = [await tab(), await tab()]
      await a.evaluate(() => {
        window.addEventListener('pageshow', (e) => {
          if (e.persisted) document.body.dataset.restored = 'true'
        })
        window.fixture.lease('bf')
      })
      await held(a)
      await b.evaluate(() => window.fixture.lease('bf'))
      await queued(b, 'bf')
      // Another origin (same server, other host name): the page leaves for the bfcache.
      await a.goto(e2e.fixture.url.replace('127.0.0.1', 'localhost'))
      await held(b)
      await a.goBack()
      await a.waitForSelector('body[data-restored="true"]')
      // Restored, it queues again rather than assuming it still leads.
      expect(await leaseState(a)).toBe('lost')
      await queued(b, 'bf')
    })
  })
})
