import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { BrowserContext, Page } from 'playwright-core'
import { build, preview, type PreviewServer } from 'vite'
import type { EventStore } from '@brook/core'
import { launchPlaywright, waitUntil } from './browser.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))
const artifacts = fileURLToPath(new URL('./artifacts', import.meta.url))
/** The load test's length; the issue asks for 30 s at 1,000 readings/s. */
const LOAD_SECONDS = Number(process.env.BROOK_DEMO_LOAD_SECONDS ?? 30)

interface DemoWindow {
  __longTasks: { start: number; duration: number }[]
}

// The README's demo, built as a visitor gets it (`vite build`) and served statically by
// `vite preview` under a sub-path-agnostic relative base.
describe('demo control room (built, real Chromium)', () => {
  let server: PreviewServer
  let url: string
  let context: BrowserContext
  let closeBrowser: () => Promise<void>

  beforeAll(async () => {
    const config = { configFile: `${root}/vite.config.ts`, logLevel: 'warn' as const }
    await build(config)
    server = await preview({ ...config, preview: { port: 0, host: '127.0.0.1' } })
    url = server.resolvedUrls?.local[0] ?? ''
    expect(url).not.toBe('')
    mkdirSync(artifacts, { recursive: true })
  }, 120_000)
  afterAll(async () => {
    await server?.close()
  })
  beforeEach(async () => {
    ;({ context, close: closeBrowser } = await launchPlaywright())
  })
  afterEach(async () => {
    await closeBrowser()
  })

  const tab = async () => {
    const page = await context.newPage()
    // Long tasks on the main thread, from the very start.
    await page.addInitScript(() => {
      const w = window as unknown as DemoWindow
      w.__longTasks = []
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.__longTasks.push({ start: e.startTime, duration: e.duration })
      }).observe({ type: 'longtask', buffered: true })
    })
    await page.goto(url)
    await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 30_000 })
    return page
  }
  const simulate = async (page: Page, rate: number, devices = 8) => {
    await page.bringToFront()
    const app = page.locator('demo-app')
    await app.getByLabel('Readings/s').fill(String(rate))
    await app.getByLabel('Device count').fill(String(devices))
    await app.getByRole('button', { name: 'Simulate' }).click()
    await page.waitForSelector(`body[data-rate="${rate}"]`, { state: 'attached' })
  }
  const stop = async (page: Page) => {
    await page.bringToFront()
    await page.locator('demo-app').getByRole('button', { name: 'Stop' }).click()
    await page.waitForSelector('body[data-rate="0"]', { state: 'attached' })
  }
  /** Readings in the log, counted in the page from the store itself. */
  const readingsInLog = (page: Page) =>
    page.evaluate(async () => {
      const app = document.querySelector('demo-app') as unknown as { store: EventStore }
      let n = 0
      for await (const e of app.store.read({ types: ['Reading'] })) if (e.type === 'Reading') n += 1
      return n
    })
  const shownReadings = (page: Page) => page.evaluate(() => Number(document.body.dataset.readings ?? -1))
  const role = (page: Page) => page.evaluate(() => document.body.dataset.role)
  /** Waits until the count the page shows equals the log's (the UI caught up). */
  const caughtUp = async (page: Page) => {
    const inLog = await readingsInLog(page)
    await waitUntil(page, (n) => Number(document.body.dataset.readings) === n, inLog, 60_000)
    return inLog
  }

  it('two tabs are live; the consumers run once, in one of them; cards, alerts and charts render', async () => {
    const [a, b] = [await tab(), await tab()]
    await simulate(a, 200)
    await waitUntil(
      b,
      () => (document.querySelector('demo-app')?.shadowRoot?.querySelectorAll('device-card').length ?? 0) === 8,
    )
    await waitUntil(b, () => Number(document.body.dataset.readings) >= 400)
    await stop(a)
    const inLog = await caughtUp(b)
    expect(await shownReadings(a)).toBeGreaterThan(0)
    await caughtUp(a)
    expect(inLog).toBeGreaterThanOrEqual(400)
    expect([await role(a), await role(b)].sort()).toEqual(['leading', 'standby'])
    await b.bringToFront()
    await b.screenshot({ path: `${artifacts}/demo-control-room.png`, fullPage: true })
  })

  it('closing the tab that runs the consumers fails over to the other; nothing is missed', async () => {
    const [a, b] = [await tab(), await tab()]
    const leader = (await role(a)) === 'leading' ? a : b
    const other = leader === a ? b : a
    await simulate(other, 300)
    await waitUntil(other, () => Number(document.body.dataset.readings) >= 300)
    const closedAt = Date.now()
    await leader.close()
    await waitUntil(other, () => document.body.dataset.role === 'leading', undefined, 10_000)
    const failoverMs = Date.now() - closedAt
    await stop(other)
    const inLog = await caughtUp(other)
    expect(inLog).toBeGreaterThan(300)
    expect(failoverMs).toBeLessThan(10_000)
  })

  it('the replay slider rebuilds the fleet as of a position, from the log', async () => {
    const page = await tab()
    await simulate(page, 500)
    await waitUntil(page, () => Number(document.body.dataset.readings) >= 3000)
    await stop(page)
    await caughtUp(page)
    const head = await page.evaluate(async () => {
      const app = document.querySelector('demo-app') as unknown as { store: EventStore }
      return app.store.head()
    })
    for (const position of [1, Math.floor(head / 3), head]) {
      // Readings at or before `position`, counted here from the log.
      const expected = await page.evaluate(async (p) => {
        const app = document.querySelector('demo-app') as unknown as { store: EventStore }
        let n = 0
        for await (const e of app.store.read({ limit: p })) if (e.type === 'Reading') n += 1
        return n
      }, position)
      await page.evaluate((p) => {
        const panel = document.querySelector('demo-app')?.shadowRoot?.querySelector('replay-panel')
        const input = panel?.shadowRoot?.querySelector('input[type=range]') as HTMLInputElement
        input.max = String(p)
        input.value = String(p)
        input.dispatchEvent(new Event('change'))
      }, position)
      await page.waitForSelector(`body[data-replayed="${position}:${expected}"]`, { state: 'attached' })
    }
    await page.screenshot({ path: `${artifacts}/demo-replay.png`, fullPage: true })
  })

  it('reloads and works with the network off after the first visit', async () => {
    const page = await tab()
    await page.waitForSelector('body[data-offline="ready"]', { state: 'attached', timeout: 30_000 })
    await simulate(page, 100)
    await waitUntil(page, () => Number(document.body.dataset.readings) >= 100)
    await stop(page)
    const before = await caughtUp(page)
    await context.setOffline(true)
    await page.reload()
    await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 30_000 })
    await waitUntil(page, (n) => Number(document.body.dataset.readings) === n, before)
    expect(await page.locator('demo-app').getByTestId('network').textContent()).toContain('offline')
    // Still a working app offline: new readings are appended and folded.
    await simulate(page, 100)
    await waitUntil(page, (n) => Number(document.body.dataset.readings) >= n + 50, before)
    await stop(page)
    await caughtUp(page)
  })

  it('the inspector shows the log and consumers; event data renders as text, never as HTML', async () => {
    const page = await tab()
    await page.evaluate(async () => {
      ;(window as unknown as { pwned: number }).pwned = 0
      const app = document.querySelector('demo-app') as unknown as { store: EventStore }
      await app.store.append('<img src=x onerror="window.pwned++">', [
        { type: '<script>window.pwned++</script>', data: { html: '<img src=x onerror="window.pwned++">' } },
      ])
    })
    await page.locator('demo-app').getByRole('button', { name: 'Show inspector' }).click()
    // The text of the inspector, shadow roots included.
    const inspectorText = () =>
      page.evaluate(() => {
        const text = (node: Node): string =>
          [...(node instanceof Element && node.shadowRoot !== null ? [node.shadowRoot] : []), ...node.childNodes]
            .map((n) => (n.nodeType === Node.TEXT_NODE ? (n.textContent ?? '') : text(n)))
            .join(' ')
        const inspector = document.querySelector('demo-app')?.shadowRoot?.querySelector('brook-inspector')
        return inspector === null || inspector === undefined ? '' : text(inspector)
      })
    await expect.poll(inspectorText, { timeout: 15_000 }).toContain('onerror="window.pwned++"')
    expect(await page.evaluate(() => (window as unknown as { pwned: number }).pwned)).toBe(0)
    await page.screenshot({ path: `${artifacts}/demo-inspector.png`, fullPage: true })
  })

  it(`at 1,000 readings/s for ${LOAD_SECONDS} s the main thread has no long task over 50 ms and the UI keeps up`, async () => {
    const page = await tab()
    await simulate(page, 1000)
    const from = await page.evaluate(() => performance.now())
    const deadline = Date.now() + LOAD_SECONDS * 1000
    while (Date.now() < deadline) {
      await page.waitForTimeout(1000) // the load runs for a fixed time: there is no event to await
    }
    const to = await page.evaluate(() => performance.now())
    await stop(page)
    const inLog = await caughtUp(page)
    const tasks = await page.evaluate(
      ([f, t]) => (window as unknown as DemoWindow).__longTasks.filter((e) => e.start >= f && e.start <= t),
      [from, to] as const,
    )
    expect(inLog).toBeGreaterThan(LOAD_SECONDS * 1000 * 0.8)
    expect(tasks.filter((e) => e.duration > 50)).toEqual([])
    await page.screenshot({ path: `${artifacts}/demo-under-load.png`, fullPage: true })
  }, 180_000)
})
