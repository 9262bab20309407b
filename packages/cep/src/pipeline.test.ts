import { describe, expect, it } from 'vitest'
import { isBrookError, type RecordedEvent } from '@brook/core'
import { avg, combine, count, max, min, reducer, sum } from './aggregates.ts'
import { pattern } from './pattern.ts'
import { pipeline, type Runnable } from './pipeline.ts'
import { createHarness, recorded } from './test-helpers.ts'
import { hopping, tumbling } from './windows.ts'
import fc from 'fast-check'

type Reading = RecordedEvent<'Reading', { at: number; value: number }>

const r = (position: number, stream: string, value: number, type = 'Reading') =>
  recorded({ position, stream, type, data: { at: position, value }, time: position * 10 })

function validationPath(f: () => unknown): string {
  try {
    f()
  } catch (err) {
    if (isBrookError(err, 'VALIDATION')) return err.path
    throw err
  }
  return 'no error'
}

async function validationPathOf(work: Promise<unknown>): Promise<string> {
  try {
    await work
  } catch (err) {
    if (isBrookError(err, 'VALIDATION')) return err.path
    throw err
  }
  return 'no error'
}

describe('pipeline', () => {
  it('selects by type, stream and predicate, then maps, filters and flat-maps before emitting', async () => {
    const consumer = pipeline<Reading>('copy')
      .from({ types: ['Reading'], streams: ['a', 'b'], where: (e) => e.data.value >= 0 })
      .map((e) => ({ id: e.id, v: e.data.value }))
      .filter((x) => x.v % 2 === 0)
      .flatMap((x) => [x, { ...x, v: x.v + 1 }])
      .emit((x, e) => ({ stream: `copies-${e.stream}`, type: 'Copied', data: x }))
      .toConsumer({ store: 'shop' })
    const h = createHarness(consumer)
    await h.run([r(1, 'a', 2), r(2, 'a', 3), r(3, 'c', 4), r(4, 'b', -2), r(5, 'b', 4, 'Other'), r(6, 'b', 8)])
    expect(h.committed.appended.map((a) => [a.stream, a.event.data])).toEqual([
      ['copies-a', { id: 'e1', v: 2 }],
      ['copies-a', { id: 'e1', v: 3 }],
      ['copies-b', { id: 'e6', v: 8 }],
      ['copies-b', { id: 'e6', v: 9 }],
    ])
  })

  it('becomes a consumer definition with exactly the keys runConsumer accepts', () => {
    const p = pipeline('totals')
      .from({ types: ['Reading'] })
      .emit(() => null)
    const c = p.toConsumer({ store: 'shop', batchSize: 250 })
    expect(Object.keys(c).sort()).toEqual(['batchSize', 'filter', 'handle', 'name', 'store'])
    expect(c).toMatchObject({ name: 'totals', store: 'shop', filter: { types: ['Reading'] }, batchSize: 250 })
    const d = pipeline('all')
      .emit(() => null)
      .toConsumer({ store: 'shop', name: 'all-v2' })
    expect(Object.keys(d).sort()).toEqual(['batchSize', 'handle', 'name', 'store'])
    expect(d).toMatchObject({ name: 'all-v2', batchSize: 100 })
  })

  it('window results go through map and filter after the window', async () => {
    const consumer = pipeline<Reading>('sums')
      .keyBy((e) => e.stream)
      .window(tumbling({ size: 3, time: (e) => e.data.at }))
      .aggregate(sum((e) => e.data.value))
      .map((w) => ({ key: w.key, total: w.value }))
      .filter((w) => w.total > 0)
      .emit((w) => ({ stream: 'sums', type: 'Summed', data: w }))
      .toConsumer({ store: 'test' })
    const h = createHarness(consumer)
    await h.run([r(1, 'a', 5), r(2, 'a', 6), r(3, 'a', -1), r(4, 'a', -1), r(5, 'a', -1), r(6, 'a', 0)])
    expect(h.committed.appended.map((a) => a.event.data)).toEqual([{ key: 'a', total: 11 }])
  })

  it('without keyBy, windows are over all events (key "")', async () => {
    const consumer = pipeline('all')
      .window(tumbling({ size: 100 }))
      .aggregate(count())
      .emit((w) => ({ stream: 'counts', type: 'Counted', data: { ...w } }))
      .toConsumer({ store: 'test' })
    const h = createHarness(consumer)
    await h.run([r(1, 'a', 0), r(2, 'b', 0), r(30, 'c', 0)])
    expect(h.committed.appended.map((a) => a.event.data)).toEqual([
      { key: '', start: 0, end: 100, value: 2, count: 2, revision: 0 },
    ])
  })

  it('rejects bad definitions with VALIDATION before running', () => {
    expect(validationPath(() => pipeline(''))).toBe('pipeline(name)')
    expect(validationPath(() => pipeline('p').from({ types: 'Reading' } as never))).toBe('pipeline p: from.types')
    expect(validationPath(() => pipeline('p').from({ type: ['Reading'] } as never))).toBe('pipeline p: from.type')
    expect(validationPath(() => pipeline('p').map(3 as never))).toBe('pipeline p: map')
    const p = pipeline('p').emit(() => null)
    expect(validationPath(() => p.toConsumer({} as never))).toBe('toConsumer.store')
    expect(validationPath(() => p.toConsumer({ store: 's', batchSize: 0 }))).toBe('toConsumer.batchSize')
    expect(validationPath(() => p.emitLate(''))).toBe('pipeline p: emitLate(stream)')
    expect(validationPath(() => pipeline('p').apply(pattern() as never))).toBe('pipeline p: apply')
  })

  it('rejects bad items at run time with VALIDATION (the runner then retries and parks the event)', async () => {
    const bad = (make: () => Pick<Runnable<unknown>, 'toConsumer'>) =>
      validationPathOf(createHarness(make().toConsumer({ store: 't' })).run([r(1, 'a', 1)]))
    expect(await bad(() => pipeline('p').emit(() => ({ type: 'X', data: 1 }) as never))).toBe(
      'pipeline p: emit(…).stream',
    )
    expect(await bad(() => pipeline('p').emit(() => 'x' as never))).toBe('pipeline p: emit')
    const keyed = pipeline('p').keyBy(() => 3 as never)
    expect(
      await bad(() =>
        keyed
          .window(tumbling({ size: 5 }))
          .aggregate(count())
          .emit(() => null),
      ),
    ).toBe('pipeline p: keyBy')
    const timed = pipeline('p').window(tumbling({ size: 5, time: () => Number.NaN }))
    expect(await bad(() => timed.aggregate(count()).emit(() => null))).toBe('event e1 (position 1): event time')
    const avgOfText = pipeline('p')
      .window(tumbling({ size: 5 }))
      .aggregate(avg(() => 'x' as never))
    expect(await bad(() => avgOfText.emit(() => null))).toBe('avg: value(item)')
  })
})

describe('aggregates', () => {
  const values = fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 30 })
  const fold = <A, R>(agg: { init(): A; add(a: A, x: number): A; result(a: A): R }, xs: number[]) =>
    agg.result(xs.reduce((a, x) => agg.add(a, x), agg.init()))
  const id = (x: number) => x

  it('count, sum, avg, min, max and combine compute their definitions, and merge agrees with add', () => {
    fc.assert(
      fc.property(values, fc.nat(), (xs, at) => {
        const all = combine({ n: count<number>(), s: sum(id), a: avg(id), lo: min(id), hi: max(id) })
        const total = xs.reduce((s, x) => s + x, 0)
        const want = { n: xs.length, s: total, a: total / xs.length, lo: Math.min(...xs), hi: Math.max(...xs) }
        expect(fold(all, xs)).toEqual(want)
        const k = at % (xs.length + 1)
        const left = xs.slice(0, k).reduce((a, x) => all.add(a, x), all.init())
        const right = xs.slice(k).reduce((a, x) => all.add(a, x), all.init())
        expect(all.result((all.merge as (a: typeof left, b: typeof left) => typeof left)(left, right))).toEqual(want)
      }),
    )
  })

  it('reducer runs user code; result defaults to the accumulator', () => {
    const last = reducer({ init: (): number[] => [], add: (acc, x: number) => [...acc, x].slice(-2) })
    expect(fold(last, [1, 2, 3])).toEqual([2, 3])
    expect(validationPath(() => reducer({ init: () => 0 } as never))).toBe('reducer.add')
  })

  it('infers item types from the window they are used in', () => {
    // Compile-time check: `e` is a Reading in time, value and the emit's `r.value` is a number.
    const p = pipeline<Reading>('typed')
      .keyBy((e) => e.stream)
      .window(hopping({ size: 10, hop: 5, time: (e) => e.data.at }))
      .aggregate(combine({ mean: avg((e: Reading) => e.data.value), n: count() }))
      .emit((r) => ({ stream: 's', type: 'T', data: { mean: r.value.mean + 0, n: r.value.n + 0 } }))
    expect(typeof p.toConsumer).toBe('function')
  })
})
