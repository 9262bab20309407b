import { describe, expect, it } from 'vitest'
import { e2eEngines, type Tab } from './browser.ts'
import { e2eSuite } from './suite.ts'

// A projection built once across tabs and shown by Lit elements in every tab.
describe.each(e2eEngines)('projections in Lit elements across tabs (%s)', (engine) => {
  const e2e = e2eSuite(engine)
  const tab = () => e2e.tab()
  const note = (page: Tab, stream: string, count: number) =>
    page.evaluate(
      async ([s, c]) => {
        const store = await window.fixture.store('projections')
        for (let i = 0; i < c; i++) await store.append(s, [{ type: 'Noted', data: { text: `#${i}` } }])
      },
      [stream, count] as const,
    )
  const shows = (page: Tab, stream: string, n: number) =>
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
