import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { BrowserContext, Page } from 'playwright-core'
import { launchFresh, waitReady } from './browser.ts'
import { serveFixture } from './serve.ts'

// A projection built once across tabs and shown by Lit elements in every tab.
describe('projections in Lit elements across tabs (real Chromium)', () => {
  let fixture: Awaited<ReturnType<typeof serveFixture>>
  let context: BrowserContext
  let closeBrowser: () => Promise<void>
  beforeAll(async () => {
    fixture = await serveFixture()
  })
  afterAll(async () => {
    await fixture?.close()
  })
  beforeEach(async () => {
    ;({ context, close: closeBrowser } = await launchFresh())
  })
  afterEach(async () => {
    await closeBrowser()
  })

  const tab = async () => {
    const page = await context.newPage()
    await page.goto(fixture.url)
    await waitReady(page)
    return page
  }
  const note = (page: Page, stream: string, count: number) =>
    page.evaluate(
      async ([s, c]) => {
        const store = await window.fixture.store('projections')
        for (let i = 0; i < c; i++) await store.append(s, [{ type: 'Noted', data: { text: `#${i}` } }])
      },
      [stream, count] as const,
    )
  const shows = (page: Page, stream: string, n: number) =>
    page.waitForFunction(
      ([s, count]) => document.querySelector(`e2e-count[stream="${s}"]`)?.getAttribute('data-n') === String(count),
      [stream, n] as const,
      { timeout: 30_000, polling: 20 },
    )

  it('an element in tab B re-renders when tab A appends; the builder runs once, in A', async () => {
    const [a, b] = [await tab(), await tab()]
    await a.evaluate(() => window.fixture.startCounts())
    await b.evaluate(() => window.fixture.startCounts())
    await b.evaluate(() => window.fixture.mountCount('room-1'))
    await b.evaluate(() => window.fixture.mountCount('room-2'))
    await note(a, 'room-1', 3)
    await shows(b, 'room-1', 3)
    await b.bringToFront()
    await note(a, 'room-1', 2)
    await shows(b, 'room-1', 5)
    expect(await b.evaluate(() => document.querySelector('e2e-count[stream="room-2"]')?.getAttribute('data-n'))).toBe(
      '0',
    )
    const states = await Promise.all(
      [a, b].map((p) => p.evaluate(async () => (await window.fixture.consumer?.status())?.state)),
    )
    expect(states.sort()).toEqual(['running', 'standby'])
  })

  it('when the tab running the builder closes, the other takes over and its elements stay live', async () => {
    const [a, b] = [await tab(), await tab()]
    await a.evaluate(() => window.fixture.startCounts())
    await a.waitForFunction(async () => (await window.fixture.consumer?.status())?.state === 'running')
    await b.evaluate(() => window.fixture.startCounts())
    await b.evaluate(() => window.fixture.mountCount('room'))
    await note(a, 'room', 2)
    await shows(b, 'room', 2)
    await a.close()
    await note(b, 'room', 3)
    await shows(b, 'room', 5)
    expect(await b.evaluate(async () => (await window.fixture.consumer?.status())?.state)).toBe('running')
  })
})
