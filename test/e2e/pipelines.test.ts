import { describe, expect, it } from 'vitest'
import { createMemoryEventStore } from '@brook/core'
import { createHarness, drain } from '../../packages/cep/src/test-helpers.ts'
import { e2eEngines, waitUntil, type Tab } from './browser.ts'
import { e2eSuite } from './suite.ts'
import { alerts, averages } from './fixture/pipelines.ts'

interface Row {
  id: string
  position: number
  stream: string
  type: string
  data: unknown
  meta: Record<string, unknown>
}

/**
 * The reference: the same pipelines run in memory, in Node, over the same source events,
 * with no crash, each stage draining the log like a consumer (stage 2 after stage 1), by
 * the CEP package's own test harness.
 */
async function reference(readings: Row[]) {
  const store = createMemoryEventStore()
  for (const r of readings) await store.append(r.stream, [{ id: r.id, type: r.type, data: r.data }])
  for (const stage of [averages, alerts]) {
    const consumer = stage.toConsumer({ store: 'reference' })
    await drain(store, consumer, createHarness(consumer))
  }
  const out: Row[] = []
  for await (const e of store.read()) out.push(e)
  return out
}

// CEP stages as durable consumers in real workers, killed mid-way again and again: their
// derived events must be exactly those of an uncrashed run, each once.
describe.each(e2eEngines)('CEP pipelines in workers (%s)', (engine) => {
  const e2e = e2eSuite(engine)
  const tab = () => e2e.tab()
  const log = (page: Tab) =>
    page.evaluate(async () => {
      const store = await window.fixture.store('consumers')
      const out: Row[] = []
      for await (const e of store.read()) {
        out.push({ id: e.id, position: e.position, stream: e.stream, type: e.type, data: e.data, meta: e.meta })
      }
      return out
    })
  /** Both stages caught up with a head that no longer moves. */
  const settled = (page: Tab) =>
    waitUntil(
      page,
      async () => {
        const store = await window.fixture.store('consumers')
        const head = await store.head()
        const statuses = await Promise.all(Object.values(window.fixture.pipelines).map((p) => p.status()))
        return statuses.length === 2 && statuses.every((s) => s.position === head && s.lag === 0)
      },
      undefined,
      60_000,
    )
  const start = (page: Tab, name: 'averages' | 'alerts') => page.evaluate((n) => window.fixture.startPipeline(n), name)
  const kill = (page: Tab, name: 'averages' | 'alerts') =>
    page.evaluate((n) => window.fixture.pipelines[n]?.terminate(), name)

  it('readings -> averages -> alerts, killed mid-way again and again: exactly the uncrashed output', async (ctx) => {
    e2e.needCleanWorkerKill(ctx)
    const a = await tab()
    await a.evaluate(() => window.fixture.fillReadings(3000, 12))
    for (let round = 0; round < 4; round++) {
      await start(a, 'averages')
      await start(a, 'alerts')
      // Let both make some progress, then kill both mid-batch.
      await waitUntil(
        a,
        async (r) => ((await window.fixture.pipelines['averages']?.status())?.position ?? 0) > 500 * (r + 1),
        round,
      )
      await kill(a, 'averages')
      await kill(a, 'alerts')
    }
    await start(a, 'averages')
    await start(a, 'alerts')
    await settled(a)

    const got = await log(a)
    const readings = got.filter((e) => e.type === 'Reading')
    const want = await reference(readings)
    const derived = (rows: Row[], type: string) =>
      rows.filter((e) => e.type === type).map((e) => ({ stream: e.stream, data: e.data }))
    // Stage 1: the same averages, once each, in the same order, caused by the same readings.
    expect(derived(got, 'AverageComputed')).toEqual(derived(want, 'AverageComputed'))
    const causes = (rows: Row[]) => rows.filter((e) => e.type === 'AverageComputed').map((e) => e.meta.causationId)
    expect(causes(got)).toEqual(causes(want))
    expect(derived(got, 'AverageComputed').length).toBeGreaterThan(200)
    // Stage 2 reads stage 1's output from the log: the same alerts.
    expect(derived(got, 'Alert')).toEqual(derived(want, 'Alert'))
    expect(derived(got, 'Alert').length).toBeGreaterThan(0)
    // Every alert's causation is an AverageComputed event of the log.
    const ids = new Set(got.filter((e) => e.type === 'AverageComputed').map((e) => e.id))
    for (const alert of got.filter((e) => e.type === 'Alert'))
      expect(ids.has(alert.meta.causationId as string)).toBe(true)
  })
})
