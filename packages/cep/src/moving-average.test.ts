import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isBrookError, type RecordedEvent } from '@brook/core'
import { movingAverage, type MovingAverage } from './moving-average.ts'
import type { Operator } from './operator.ts'
import { pipeline } from './pipeline.ts'
import { createHarness, cut, recorded } from './test-helpers.ts'
import { thresholdAlert, type ThresholdCrossing } from './threshold-alert.ts'

// Reference: per key, the accepted readings (not late: the watermark before each was at most
// its time) that the final watermark passed, sorted by event time (ties: arrival). At each,
// the average of the readings so far in (t - size, t] (or the last `count`), in that order.

type Reading = RecordedEvent<string, { at: number; value: number }>

interface Window {
  size?: number
  count?: number
  outOfOrder: number
}

const windows: fc.Arbitrary<Window> = fc.oneof(
  fc.record({ size: fc.integer({ min: 1, max: 50 }), outOfOrder: fc.integer({ min: 0, max: 20 }) }),
  fc.record({ count: fc.integer({ min: 1, max: 6 }), outOfOrder: fc.integer({ min: 0, max: 20 }) }),
)

const readings = fc
  .array(
    fc.record({
      key: fc.constantFrom('a', 'b'),
      jitter: fc.integer({ min: -25, max: 25 }),
      value: fc.integer({ min: 0, max: 100 }),
    }),
    { minLength: 1, maxLength: 40 },
  )
  .map((list) =>
    list.map(({ key, jitter, value }, i) =>
      recorded({
        position: i + 1,
        stream: key,
        type: 'Reading',
        data: { at: Math.max(0, i * 4 + jitter), value },
        time: 0,
      }),
    ),
  )

const averaging = (w: Window) => ({
  value: (e: Reading) => e.data.value,
  time: (e: Reading) => e.data.at,
  outOfOrder: w.outOfOrder,
  ...(w.size === undefined ? { count: w.count as number } : { size: w.size }),
})

function referenceAverages(w: Window, events: readonly Reading[]): { averages: MovingAverage[]; late: string[] } {
  let max = Number.NEGATIVE_INFINITY
  const accepted: Reading[] = []
  const late: string[] = []
  for (const e of events) {
    if (max - w.outOfOrder > e.data.at) late.push(e.id)
    else accepted.push(e)
    max = Math.max(max, e.data.at)
  }
  const averages: MovingAverage[] = []
  for (const key of ['a', 'b']) {
    const seq = accepted
      .filter((e) => e.stream === key && e.data.at < max - w.outOfOrder)
      .sort((x, y) => x.data.at - y.data.at)
    seq.forEach((e, i) => {
      const upTo = seq.slice(0, i + 1)
      const win =
        w.size === undefined
          ? upTo.slice(-(w.count as number))
          : upTo.filter((x) => x.data.at > e.data.at - (w.size as number))
      const average = win.reduce((s, x) => s + x.data.value, 0) / win.length
      averages.push({ key, time: e.data.at, value: e.data.value, average, count: win.length })
    })
  }
  return { averages, late }
}

function referenceCrossings(w: Window, level: number, clearAt: number, up: boolean, events: readonly Reading[]) {
  const crossings: ThresholdCrossing[] = []
  const raised = new Map<string, boolean>()
  for (const m of referenceAverages(w, events).averages) {
    const on = raised.get(m.key) ?? false
    const base = { key: m.key, time: m.time, average: m.average, count: m.count }
    if (!on && (up ? m.average > level : m.average < level)) {
      crossings.push({ ...base, state: 'raised', threshold: level })
      raised.set(m.key, true)
    } else if (on && (up ? m.average <= clearAt : m.average >= clearAt)) {
      crossings.push({ ...base, state: 'cleared', threshold: clearAt })
      raised.set(m.key, false)
    }
  }
  return crossings
}

async function run<O extends object>(op: Operator<Reading, O>, events: Reading[], cuts: number[]) {
  const consumer = pipeline<Reading>('avg')
    .keyBy((e) => e.stream)
    .apply(op)
    .emit((o) => ({ stream: 'out', type: 'Out', data: { ...o } }))
    .late((l) => ({ stream: 'late', type: 'Late', data: l.event.id }))
    .toConsumer({ store: 'test' })
  const h = createHarness(consumer)
  for (const batch of cut(events, cuts)) await h.run(batch)
  const outs = h.committed.appended.filter((a) => a.stream === 'out').map((a) => a.event.data as O)
  const late = h.committed.appended.filter((a) => a.stream === 'late').map((a) => a.event.data as string)
  return { outs, late }
}

const byKey = <T extends { key: string }>(list: T[]) => ['a', 'b'].flatMap((k) => list.filter((x) => x.key === k))

describe('movingAverage', () => {
  it('matches the reference: per key, in event-time order, over size ms or the last count values', async () => {
    await fc.assert(
      fc.asyncProperty(windows, readings, fc.array(fc.nat(), { maxLength: 6 }), async (w, events, cuts) => {
        const { outs, late } = await run<MovingAverage>(movingAverage(averaging(w)), events, cuts)
        const want = referenceAverages(w, events)
        // Per key the order is fixed; keys interleave as the watermark moves.
        expect(byKey(outs)).toEqual(want.averages)
        expect(late).toEqual(want.late)
      }),
      { numRuns: 200 },
    )
  })

  it('averages over (t - size, t]', async () => {
    const r = (position: number, at: number, value: number) =>
      recorded({ position, stream: 'a', type: 'Reading', data: { at, value }, time: at })
    const op = movingAverage({ value: (e: Reading) => e.data.value, size: 10 })
    const { outs } = await run<MovingAverage>(op, [r(1, 0, 10), r(2, 5, 20), r(3, 10, 60), r(4, 99, 0)], [])
    expect(outs.map((m) => [m.time, m.average, m.count])).toEqual([
      [0, 10, 1],
      [5, 15, 2],
      [10, 40, 2],
    ])
  })
})

describe('thresholdAlert', () => {
  it('emits on crossings only, with hysteresis, above or below, matching the reference', async () => {
    await fc.assert(
      fc.asyncProperty(
        windows,
        readings,
        fc.boolean(),
        fc.integer({ min: 10, max: 90 }),
        fc.integer({ min: 0, max: 20 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        async (w, events, up, level, band, cuts) => {
          const clearAt = up ? level - band : level + band
          const op = thresholdAlert({ ...averaging(w), ...(up ? { above: level } : { below: level }), clearAt })
          const { outs } = await run<ThresholdCrossing>(op, events, cuts)
          expect(byKey(outs)).toEqual(referenceCrossings(w, level, clearAt, up, events))
          // Crossings alternate per key, starting with 'raised'.
          for (const k of ['a', 'b']) {
            outs.filter((o) => o.key === k).forEach((o, i) => expect(o.state).toBe(i % 2 === 0 ? 'raised' : 'cleared'))
          }
        },
      ),
      { numRuns: 200 },
    )
  })

  it('notifies when the moving average crosses the threshold, not on every reading above it', async () => {
    const r = (position: number, value: number) =>
      recorded({
        position,
        stream: 'dev-1',
        type: 'Reading',
        data: { at: position * 1000, value },
        time: position * 1000,
      })
    const op = thresholdAlert({ value: (e: Reading) => e.data.value, count: 2, above: 80 })
    const events = [70, 80, 95, 99, 97, 60, 50, 90, 92].map((v, i) => r(i + 1, v))
    const { outs } = await run<ThresholdCrossing>(op, [...events, r(99, 0)], [])
    // Averages of the last two: 70, 75, 87.5, 97, 98, 78.5, 55, 70, 91.
    expect(outs.map((o) => [o.state, o.average])).toEqual([
      ['raised', 87.5],
      ['cleared', 78.5],
      ['raised', 91],
    ])
  })

  it('rejects contradictory definitions with VALIDATION', () => {
    const path = (f: () => unknown) => {
      try {
        f()
      } catch (err) {
        return isBrookError(err, 'VALIDATION') ? err.path : 'other error'
      }
      return 'no error'
    }
    const value = (e: Reading) => e.data.value
    expect(path(() => thresholdAlert({ value, size: 10 } as never))).toBe('thresholdAlert')
    expect(path(() => thresholdAlert({ value, size: 10, above: 5, below: 1 } as never))).toBe('thresholdAlert')
    expect(path(() => thresholdAlert({ value, size: 10, above: 5, clearAt: 6 }))).toBe('thresholdAlert.clearAt')
    expect(path(() => thresholdAlert({ value, size: 10, below: 5, clearAt: 4 }))).toBe('thresholdAlert.clearAt')
    expect(path(() => movingAverage({ value, size: 10, count: 3 } as never))).toBe('movingAverage')
    expect(path(() => movingAverage({ value, size: -1 }))).toBe('movingAverage.size')
    expect(path(() => movingAverage({ value: 3, count: 2 } as never))).toBe('movingAverage.value')
  })
})
