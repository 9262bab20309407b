import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createMemoryEventStore, type RecordedEvent } from '@brook/core'
import { avg, combine, count, max } from './aggregates.ts'
import type { CepConsumer } from './consumer.ts'
import { pattern } from './pattern.ts'
import { pipeline } from './pipeline.ts'
import { createHarness, cut, drain, recorded } from './test-helpers.ts'
import { thresholdAlert } from './threshold-alert.ts'
import { hopping, session, sliding, tumbling } from './windows.ts'

type Reading = RecordedEvent<string, { at: number; value: number }>

const value = (e: Reading) => e.data.value
const time = (e: Reading) => e.data.at

/** One pipeline of each stateful kind (plus a stateless one), all with late outputs. */
const pipelines: Record<string, () => CepConsumer> = {
  sliding: () =>
    pipeline<Reading>('sliding')
      .keyBy((e) => e.stream)
      .window(sliding({ size: 20, outOfOrder: 5, allowedLateness: 10, time }))
      .aggregate(avg(value))
      .emit((r) => ({ stream: `avg-${r.key}`, type: 'Avg', data: { ...r } }))
      .emitLate('late')
      .toConsumer({ store: 'test' }),
  session: () =>
    pipeline<Reading>('session')
      .keyBy((e) => e.stream)
      .window(session({ gap: 8, outOfOrder: 3, allowedLateness: 6, time }))
      .aggregate(combine({ n: count<Reading>(), peak: max(value) }))
      .emit((r) => ({ stream: 'sessions', type: 'Session', data: { ...r } }))
      .emitLate('late')
      .toConsumer({ store: 'test' }),
  hopping: () =>
    pipeline<Reading>('hopping')
      .keyBy((e) => e.stream)
      .window(hopping({ size: 30, hop: 10, outOfOrder: 4, allowedLateness: 8, time }))
      .aggregate(count())
      .filter((r) => r.value > 1)
      .emit((r) => ({ stream: 'counts', type: 'Count', data: { ...r } }))
      .toConsumer({ store: 'test' }),
  pattern: () =>
    pipeline<Reading>('pattern')
      .keyBy((e) => e.stream)
      .apply(
        pattern<Reading>({ outOfOrder: 6, time })
          .begin('high', (e) => e.data.value > 60)
          .followedBy('higher', (e, m) => e.data.value > (m['high']?.data.value ?? 0))
          .notFollowedBy('drop', (e) => e.data.value < 20)
          .within(25),
      )
      .emit((m) => ({ stream: 'rising', type: 'Rising', data: { key: m.key, start: m.start, end: m.end } }))
      .emitLate('late')
      .toConsumer({ store: 'test' }),
  threshold: () =>
    pipeline<Reading>('threshold')
      .keyBy((e) => e.stream)
      .apply(thresholdAlert({ value, size: 15, above: 60, clearAt: 50, outOfOrder: 5, time }))
      .emit((a) => ({ stream: `alerts-${a.key}`, type: a.state === 'raised' ? 'Hot' : 'Normal', data: { ...a } }))
      .emitLate('late')
      .toConsumer({ store: 'test' }),
  stateless: () =>
    pipeline<Reading>('stateless')
      .flatMap((e) => (e.data.value > 50 ? [e, e] : [e]))
      .filter((e) => e.data.value % 2 === 0)
      .emit((e) => ({ stream: 'even', type: 'Even', data: { id: e.id } }))
      .toConsumer({ store: 'test' }),
}

const readings = fc
  .array(
    fc.record({
      key: fc.constantFrom('d1', 'd2', 'd3', 'd4'),
      jitter: fc.integer({ min: -20, max: 20 }),
      value: fc.integer({ min: 0, max: 100 }),
      correlated: fc.boolean(),
    }),
    { minLength: 1, maxLength: 50 },
  )
  .map((list) =>
    list.map(({ key, jitter, value, correlated }, i) =>
      recorded({
        position: i + 1,
        stream: key,
        type: 'Reading',
        data: { at: Math.max(0, i * 3 + jitter), value },
        time: 0,
        ...(correlated ? { meta: { correlationId: `flow-${i % 3}` } } : {}),
      }),
    ),
  )

describe('exactly-once under crashes', () => {
  it('a run cut into random batches with crashes (writes and appends discarded, batch redone) equals the uncrashed run exactly', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.keys(pipelines)),
        readings,
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.array(fc.option(fc.nat({ max: 40 }), { nil: undefined, freq: 2 }), { maxLength: 30 }),
        async (kind, events, cuts, crashes) => {
          const make = pipelines[kind] as () => CepConsumer
          // The reference: one event per batch, no crash.
          const calm = createHarness(make())
          for (const e of events) expect(await calm.run([e])).toBe(true)
          const crashy = createHarness(make())
          let c = 0
          for (const batch of cut(events, cuts)) {
            for (let at = crashes[c++]; at !== undefined; at = crashes[c++]) {
              expect(await crashy.run(batch, { at })).toBe(false)
            }
            expect(await crashy.run(batch)).toBe(true)
          }
          expect(crashy.committed.appended).toEqual(calm.committed.appended)
          expect(crashy.committed.state).toEqual(calm.committed.state)
        },
      ),
      { numRuns: 150 },
    )
  })

  it('a handler that sees its batch again after a crash reads the rolled-back state, not its own lost writes', async () => {
    const h = createHarness(pipelines['sliding']?.() as CepConsumer)
    const e = (position: number, at: number) =>
      recorded({ position, stream: 'd1', type: 'Reading', data: { at, value: 10 }, time: 0 })
    await h.run([e(1, 0)])
    const before = JSON.stringify([...h.committed.state])
    expect(await h.run([e(2, 30)], { at: 1_000 })).toBe(false)
    expect(JSON.stringify([...h.committed.state])).toBe(before)
    await h.run([e(2, 30)])
    expect(h.committed.appended.map((a) => (a.event.data as { end: number }).end)).toEqual([0])
  })
})

describe('derived events', () => {
  it('carry causationId (the causing event) and correlationId (its correlationId, else its id), keeping other meta', async () => {
    const consumer = pipeline<Reading>('meta')
      .emit((e) => ({ stream: 'out', type: 'Copy', data: null, meta: { note: e.id } }))
      .toConsumer({ store: 'test' })
    const h = createHarness(consumer)
    const a = recorded({ position: 1, stream: 's', type: 'R', data: { at: 0, value: 0 }, time: 0 })
    const b = recorded({
      position: 2,
      stream: 's',
      type: 'R',
      data: { at: 0, value: 0 },
      time: 0,
      meta: { correlationId: 'c-9' },
    })
    await h.run([a, b])
    expect(h.committed.appended.map((x) => x.event.meta)).toEqual([
      { note: 'e1', causationId: 'e1', correlationId: 'e1' },
      { note: 'e2', causationId: 'e2', correlationId: 'c-9' },
    ])
  })

  it('of a sliding window are caused by the event that opened it, of a tumbling window by its latest', async () => {
    const r = (position: number, at: number) =>
      recorded({
        position,
        stream: 'd1',
        type: 'Reading',
        data: { at, value: 1 },
        time: 0,
        meta: { correlationId: `k${position}` },
      })
    const events = [r(1, 3), r(2, 1), r(3, 100)]
    const slid = createHarness(pipelines['sliding']?.() as CepConsumer)
    await slid.run(events)
    // Window (-19, 1] is e2's, window (-17, 3] is e1's (e2, in it too, arrived later).
    expect(slid.committed.appended.map((a) => [(a.event.data as { end: number }).end, a.event.meta])).toEqual([
      [1, { causationId: 'e2', correlationId: 'k2' }],
      [3, { causationId: 'e1', correlationId: 'k1' }],
    ])
    const tumbled = pipeline<Reading>('t')
      .window(tumbling({ size: 10, time }))
      .aggregate(count())
      .emit((w) => ({ stream: 'out', type: 'W', data: w.start }))
      .toConsumer({ store: 'test' })
    const h = createHarness(tumbled)
    await h.run(events)
    expect(h.committed.appended.map((a) => a.event.meta)).toEqual([{ causationId: 'e2', correlationId: 'k2' }])
  })
})

describe('state in tx', () => {
  it('lives under g, s:<key> and late; a batch reads and writes each key it touches once, and no other', async () => {
    const h = createHarness(pipelines['sliding']?.() as CepConsumer)
    const r = (position: number, key: string, at: number) =>
      recorded({ position, stream: key, type: 'Reading', data: { at, value: 1 }, time: 0 })
    await h.run(Array.from({ length: 10 }, (_, i) => r(i + 1, `k${i}`, 100 + i)))
    expect([...h.committed.state.keys()].sort()).toEqual(
      ['g', ...Array.from({ length: 10 }, (_, i) => `s:k${i}`)].sort(),
    )
    h.resetCalls()
    // Five events of one key that move the watermark past no other key's timer.
    await h.run([r(11, 'k1', 101), r(12, 'k1', 102), r(13, 'k1', 103), r(14, 'k1', 104), r(15, 'k1', 105)])
    expect(h.calls()).toMatchObject({ get: 2, put: 2 }) // g and s:k1, once each
    await h.run([r(16, 'k1', 10)])
    expect(h.committed.state.get('late')).toEqual({ count: 1 })
  })

  it('is deleted for a key once it holds nothing (windows closed, items expired)', async () => {
    const h = createHarness(pipelines['session']?.() as CepConsumer)
    const r = (position: number, key: string, at: number) =>
      recorded({ position, stream: key, type: 'Reading', data: { at, value: 1 }, time: 0 })
    await h.run([r(1, 'a', 0), r(2, 'b', 1)])
    expect(h.committed.state.has('s:a')).toBe(true)
    await h.run([r(3, 'b', 1_000)])
    expect(h.committed.state.has('s:a')).toBe(false)
    expect(h.committed.state.get('g')).toEqual({ max: 1_000, at: [1_008], keys: ['b'] })
  })
})

describe('two-stage pipeline', () => {
  it('readings → per-device sliding averages → threshold alerts, the second stage reading what the first emitted', async () => {
    const store = createMemoryEventStore({ now: () => 0 })
    const devices = ['dev-1', 'dev-2', 'dev-3']
    const levels: Record<string, number[]> = {
      'dev-1': [50, 55, 60, 90, 95, 99, 97, 40, 30, 20, 10, 10],
      'dev-2': [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 100, 100],
      'dev-3': [70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 79],
    }
    for (let i = 0; i < 12; i++) {
      for (const d of devices) {
        await store.append(d, [{ type: 'Reading', data: { at: i * 10, value: levels[d]?.[i] ?? 0 } }])
      }
    }
    // Far ahead on another device: moves both stages' watermarks past every real reading.
    await store.append('flush', [
      { type: 'Reading', data: { at: 1e6, value: 0 } },
      { type: 'Reading', data: { at: 2e6, value: 0 } },
    ])
    const averages = pipeline<Reading>('averages')
      .from({ types: ['Reading'] })
      .keyBy((e) => e.stream)
      .window(sliding({ size: 30, outOfOrder: 5, time }))
      .aggregate(avg(value))
      .emit((r) => ({
        stream: `averages-${r.key}`,
        type: 'AverageComputed',
        data: { device: r.key, at: r.end, average: r.value },
      }))
      .toConsumer({ store: 'test', batchSize: 7 })
    type Average = RecordedEvent<'AverageComputed', { device: string; at: number; average: number }>
    const alerts = pipeline<Average>('alerts')
      .from({ types: ['AverageComputed'] })
      .keyBy((e) => e.data.device)
      .apply(
        thresholdAlert({ value: (e: Average) => e.data.average, count: 1, above: 75, time: (e: Average) => e.data.at }),
      )
      .filter((a) => a.state === 'raised')
      .emit((a) => ({ stream: `alerts-${a.key}`, type: 'Overheating', data: { device: a.key, at: a.time } }))
      .toConsumer({ store: 'test', batchSize: 5 })
    await drain(store, averages, createHarness(averages))
    await drain(store, alerts, createHarness(alerts))

    const log: RecordedEvent[] = []
    for await (const e of store.read()) log.push(e)
    // Expected from the readings directly: the mean of (t - 30, t] at each reading, crossing 75.
    const expected: { device: string; at: number }[] = []
    for (const d of devices) {
      let raised = false
      for (let i = 0; i < 12; i++) {
        const win = (levels[d] ?? []).slice(Math.max(0, i - 2), i + 1)
        const mean = win.reduce((s, x) => s + x, 0) / win.length
        if (!raised && mean > 75) expected.push({ device: d, at: i * 10 })
        raised = mean > 75
      }
    }
    const got = log.filter((e) => e.type === 'Overheating')
    expect(got.map((e) => e.data)).toEqual(expected.sort((a, b) => a.at - b.at || a.device.localeCompare(b.device)))
    // Causation chain: alert ← average ← reading, one correlation id throughout.
    for (const alert of got) {
      const average = log.find((e) => e.id === alert.meta['causationId'])
      expect(average?.type).toBe('AverageComputed')
      const reading = log.find((e) => e.id === average?.meta['causationId'])
      expect(reading?.type).toBe('Reading')
      expect(alert.meta['correlationId']).toBe(reading?.id)
    }
  })
})
