import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isBrookError, type RecordedEvent } from '@brook/core'
import { avg, combine, count, max, min, reducer, sum } from './aggregates.ts'
import { pipeline } from './pipeline.ts'
import { windowOperator } from './window-operator.ts'
import { createHarness, cut, recorded } from './test-helpers.ts'
import { hopping, session, sliding, tumbling, type WindowResult, type WindowSpec } from './windows.ts'

// Property tests of every window kind against a brute-force reference written from the
// definitions (not from the operators' incremental algorithms):
// - watermark W after event i = max event time so far - outOfOrder (before any: -Infinity);
// - late: tumbling/hopping when W before the event >= end of its earliest window + lateness;
//   sliding/session when W before the event > its time + lateness;
// - the windows of a key at step i are computed afresh from the accepted events so far;
// - a window emits at step i when it is due at W_i (W >= end; sliding: W > end) and it is
//   new, changed, or was not due at W_{i-1}; its revision counts earlier results it contains.

type Reading = RecordedEvent<string, { at: number }>
type Kind = 'tumbling' | 'hopping' | 'sliding' | 'session'

interface Params {
  kind: Kind
  size: number
  hop: number
  offset: number
  gap: number
  outOfOrder: number
  lateness: number
}

interface Firing {
  key: string
  start: number
  end: number
  revision: number
  ids: string[]
}

const FLUSH_KEY = 'zz'

const params: fc.Arbitrary<Params> = fc
  .record({
    kind: fc.constantFrom<Kind>('tumbling', 'hopping', 'sliding', 'session'),
    size: fc.integer({ min: 1, max: 60 }),
    hopPart: fc.integer({ min: 1, max: 60 }),
    offsetPart: fc.nat(),
    gap: fc.integer({ min: 1, max: 40 }),
    outOfOrder: fc.integer({ min: 0, max: 20 }),
    lateness: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 80 })),
  })
  .map(({ hopPart, offsetPart, ...p }) => {
    const hop = p.kind === 'hopping' ? 1 + (hopPart % p.size) : p.size
    return { ...p, hop, offset: offsetPart % hop }
  })

/** Readings mostly in order with jitter (so some are out of order, some late), then a flush. */
const readings = fc
  .array(fc.record({ key: fc.constantFrom('a', 'b', 'c'), jitter: fc.integer({ min: -40, max: 40 }) }), {
    minLength: 4,
    maxLength: 40,
  })
  .map((list) => {
    const events = list.map(({ key, jitter }, i) =>
      recorded({ position: i + 1, stream: key, type: 'Reading', data: { at: Math.max(0, i * 5 + jitter) }, time: 0 }),
    )
    // Far in the future on its own key: moves the watermark past every real window.
    events.push(
      recorded({ position: list.length + 1, stream: FLUSH_KEY, type: 'Reading', data: { at: 100_000 }, time: 0 }),
    )
    return events
  })

function specOf(p: Params): WindowSpec<Reading> {
  const common = { outOfOrder: p.outOfOrder, allowedLateness: p.lateness, time: (e: Reading) => e.data.at }
  switch (p.kind) {
    case 'tumbling':
      return tumbling({ size: p.size, offset: p.offset, ...common })
    case 'hopping':
      return hopping({ size: p.size, hop: p.hop, offset: p.offset, ...common })
    case 'sliding':
      return sliding({ size: p.size, ...common })
    case 'session':
      return session({ gap: p.gap, ...common })
  }
}

const collectIds = reducer({
  init: (): string[] => [],
  add: (acc, e: Reading) => [...acc, e.id],
  merge: (a, b) => [...a, ...b],
  result: (acc) => [...acc].sort(),
})

function windowPipeline(p: Params) {
  return pipeline<Reading>('windows')
    .from({ types: ['Reading'] })
    .keyBy((e) => e.stream)
    .window(specOf(p))
    .aggregate(collectIds)
    .emit((r) => ({ stream: 'out', type: 'Window', data: { ...r } }))
    .late((l) => ({ stream: 'late', type: 'Late', data: { id: l.event.id, watermark: l.watermark } }))
    .toConsumer({ store: 'test' })
}

/** Runs the pipeline over `events` cut into batches; returns firings and late ids in output order. */
/** The same windows over the built-in aggregates (sliding windows then keep numeric units, not accumulators). */
function numericPipeline(p: Params) {
  const position = (e: Reading) => e.position
  return pipeline<Reading>('numbers')
    .keyBy((e) => e.stream)
    .window(specOf(p))
    .aggregate(combine({ n: count(), sum: sum(position), lo: min(position), hi: max(position), mean: avg(position) }))
    .emit((r) => ({ stream: 'out', type: 'Window', data: { ...r } }))
    .toConsumer({ store: 'test' })
}

/**
 * Runs the pipeline over `events` cut into batches; returns firings and late ids in output
 * order. Checks on the way that the built-in aggregates agree with the ids each window holds.
 */
async function runWindows(p: Params, events: readonly RecordedEvent[], cuts: readonly number[]) {
  const h = createHarness(windowPipeline(p))
  const numbers = createHarness(numericPipeline(p))
  for (const batch of cut(events, cuts)) {
    await h.run(batch)
    await numbers.run(batch)
  }
  const firings: Firing[] = []
  const late: string[] = []
  for (const { stream, event } of h.committed.appended) {
    if (stream === 'late') late.push((event.data as { id: string }).id)
    else {
      const r = event.data as WindowResult<string[]>
      expect(r.count).toBe(r.value.length)
      firings.push({ key: r.key, start: r.start, end: r.end, revision: r.revision, ids: r.value })
    }
  }
  const stats = numbers.committed.appended.map((a) => a.event.data as WindowResult<Record<string, number>>)
  expect(stats.length).toBe(firings.length)
  firings.forEach((f, i) => {
    const positions = f.ids.map((id) => Number(id.slice(1)))
    const total = positions.reduce((x, y) => x + y, 0)
    const want = {
      n: f.ids.length,
      sum: total,
      lo: Math.min(...positions),
      hi: Math.max(...positions),
      mean: total / f.ids.length,
    }
    expect(stats[i]).toEqual({
      key: f.key,
      start: f.start,
      end: f.end,
      revision: f.revision,
      count: f.ids.length,
      value: want,
    })
  })
  return { firings, late, committed: h.committed }
}

interface Item {
  id: string
  key: string
  t: number
}

/** The reference: see the comment at the top of this file. */
function reference(p: Params, events: readonly Reading[]): { firings: Firing[]; late: string[] } {
  const items: Item[] = events.map((e) => ({ id: e.id, key: e.stream, t: e.data.at }))
  const before: number[] = []
  const after: number[] = []
  let max = Number.NEGATIVE_INFINITY
  for (const x of items) {
    before.push(max - p.outOfOrder)
    max = Math.max(max, x.t)
    after.push(max - p.outOfOrder)
  }
  const isLate = (x: Item, w: number): boolean => {
    if (p.kind === 'sliding' || p.kind === 'session') return w > x.t + p.lateness
    // Earliest window holding t: the least start s = offset + k*hop with s > t - size.
    let s = Math.floor((x.t - p.offset) / p.hop) * p.hop + p.offset
    while (s - p.hop > x.t - p.size) s -= p.hop
    return w >= s + p.size + p.lateness
  }
  const late = new Set(items.filter((x, i) => isLate(x, before[i] as number)).map((x) => x.id))
  const due = (w: number, end: number) => (p.kind === 'sliding' ? w > end : w >= end)

  // Windows of the accepted prefix 0..i, as id -> (key, start, end, sorted member ids).
  const windowsAt = (i: number): Map<string, Firing> => {
    const acc = items.slice(0, i + 1).filter((x) => !late.has(x.id))
    const out = new Map<string, Firing>()
    const put = (key: string, start: number, end: number, members: Item[]) => {
      const ids = members.map((m) => m.id).sort()
      out.set(`${key}|${start}|${end}|${p.kind === 'session' ? ids.join(',') : ''}`, {
        key,
        start,
        end,
        revision: 0,
        ids,
      })
    }
    for (const key of new Set(acc.map((x) => x.key))) {
      const mine = acc.filter((x) => x.key === key)
      if (p.kind === 'tumbling' || p.kind === 'hopping') {
        const starts = new Set<number>()
        for (const x of mine) {
          for (let s = Math.floor((x.t - p.offset) / p.hop) * p.hop + p.offset; s > x.t - p.size; s -= p.hop)
            starts.add(s)
        }
        for (const s of starts)
          put(
            key,
            s,
            s + p.size,
            mine.filter((x) => x.t >= s && x.t < s + p.size),
          )
      } else if (p.kind === 'sliding') {
        for (const end of new Set(mine.map((x) => x.t))) {
          put(
            key,
            end - p.size,
            end,
            mine.filter((x) => x.t > end - p.size && x.t <= end),
          )
        }
      } else {
        const sorted = [...mine].sort((a, b) => a.t - b.t)
        let cluster: Item[] = []
        for (const x of sorted) {
          const last = cluster[cluster.length - 1]
          if (last !== undefined && x.t - last.t >= p.gap) {
            put(key, (cluster[0] as Item).t, last.t + p.gap, cluster)
            cluster = []
          }
          cluster.push(x)
        }
        const last = cluster[cluster.length - 1]
        if (last !== undefined) put(key, (cluster[0] as Item).t, last.t + p.gap, cluster)
      }
    }
    return out
  }

  const firings: Firing[] = []
  let previous = new Map<string, Firing>()
  items.forEach((_, i) => {
    const now = windowsAt(i)
    for (const [id, w] of now) {
      const old = previous.get(id)
      const wasDue = i > 0 && due(after[i - 1] as number, w.end)
      if (!due(after[i] as number, w.end)) continue
      if (old !== undefined && wasDue && old.ids.join() === w.ids.join()) continue
      const contained = firings.filter(
        (f) =>
          f.key === w.key &&
          (p.kind === 'session' ? f.ids.every((x) => w.ids.includes(x)) : f.start === w.start && f.end === w.end),
      )
      firings.push({ ...w, revision: contained.length })
    }
    previous = now
  })
  return { firings, late: items.filter((x) => late.has(x.id)).map((x) => x.id) }
}

const sorted = (firings: Firing[]) => firings.map((f) => JSON.stringify(f)).sort()

describe('windows against a brute-force reference', () => {
  it('tumbling, hopping, sliding and session windows fire exactly the reference results, in any batching', async () => {
    await fc.assert(
      fc.asyncProperty(params, readings, fc.array(fc.nat(), { maxLength: 8 }), async (p, events, cuts) => {
        const got = await runWindows(p, events, cuts)
        const want = reference(p, events)
        expect(sorted(got.firings)).toEqual(sorted(want.firings))
        expect(got.late).toEqual(want.late)
      }),
      { numRuns: 300 },
    )
  })

  it('accounts for every event exactly once: in windows, or late, never both, never lost', async () => {
    await fc.assert(
      fc.asyncProperty(params, readings, fc.array(fc.nat(), { maxLength: 8 }), async (p, events, cuts) => {
        const { firings, late } = await runWindows(p, events, cuts)
        const inWindows = new Set(firings.flatMap((f) => f.ids))
        const real = events.filter((e) => e.stream !== FLUSH_KEY).map((e) => e.id)
        for (const id of late) expect(inWindows.has(id)).toBe(false)
        expect(new Set(late).size).toBe(late.length)
        expect(new Set([...inWindows, ...late])).toEqual(new Set(real))
      }),
      { numRuns: 200 },
    )
  })

  it('fires revisions of one window in order 0, 1, 2, … and only for windows still open', async () => {
    await fc.assert(
      fc.asyncProperty(
        params.filter((p) => p.kind !== 'session'),
        readings,
        async (p, events) => {
          const { firings } = await runWindows(p, events, [])
          const seen = new Map<string, number>()
          for (const f of firings) {
            const id = `${f.key}|${f.start}`
            expect(f.revision).toBe(seen.get(id) ?? 0)
            seen.set(id, f.revision + 1)
          }
        },
      ),
      { numRuns: 100 },
    )
  })
})

describe('window examples', () => {
  const at = (position: number, stream: string, t: number) =>
    recorded({ position, stream, type: 'Reading', data: { at: t }, time: t })

  it('tumbling: [start, end) boundaries, fires when the watermark reaches the end', async () => {
    const p: Params = { kind: 'tumbling', size: 10, hop: 10, offset: 0, gap: 1, outOfOrder: 0, lateness: 0 }
    const { firings } = await runWindows(p, [at(1, 'a', 0), at(2, 'a', 9), at(3, 'a', 10), at(4, 'a', 19)], [])
    expect(firings).toEqual([{ key: 'a', start: 0, end: 10, revision: 0, ids: ['e1', 'e2'] }])
  })

  it('an allowed late event updates a fired window (revision 1); a later one goes to the late output', async () => {
    const p: Params = { kind: 'tumbling', size: 10, hop: 10, offset: 0, gap: 1, outOfOrder: 0, lateness: 5 }
    const events = [at(1, 'a', 1), at(2, 'a', 12), at(3, 'a', 2), at(4, 'a', 15), at(5, 'a', 3)]
    const { firings, late } = await runWindows(p, events, [])
    expect(firings).toEqual([
      { key: 'a', start: 0, end: 10, revision: 0, ids: ['e1'] },
      { key: 'a', start: 0, end: 10, revision: 1, ids: ['e1', 'e3'] },
    ])
    expect(late).toEqual(['e5'])
  })

  it('session: events closer than gap merge, a bridging event merges two sessions', async () => {
    const p: Params = { kind: 'session', size: 1, hop: 1, offset: 0, gap: 5, outOfOrder: 10, lateness: 0 }
    const events = [at(1, 'a', 0), at(2, 'a', 10), at(3, 'a', 5), at(4, 'a', 40)]
    const { firings } = await runWindows(p, events, [])
    // 0 and 5 are exactly gap apart (no merge); so are 5 and 10.
    expect(firings.map((f) => [f.start, f.end, f.ids])).toEqual([
      [0, 5, ['e1']],
      [5, 10, ['e3']],
      [10, 15, ['e2']],
    ])
  })

  it('session: a late event bridging two fired sessions fires the merged one, superseding both (revision 2)', async () => {
    const p: Params = { kind: 'session', size: 1, hop: 1, offset: 0, gap: 6, outOfOrder: 0, lateness: 40 }
    const events = [at(1, 'a', 0), at(2, 'a', 10), at(3, 'a', 30), at(4, 'a', 5)]
    const { firings } = await runWindows(p, events, [])
    expect(firings.map((f) => [f.start, f.end, f.revision, f.ids])).toEqual([
      [0, 6, 0, ['e1']],
      [10, 16, 0, ['e2']],
      [0, 16, 2, ['e1', 'e2', 'e4']],
    ])
  })

  it('sliding: one window (t - size, t] per distinct time, fired once the watermark passes t', async () => {
    const p: Params = { kind: 'sliding', size: 10, hop: 10, offset: 0, gap: 1, outOfOrder: 0, lateness: 0 }
    const events = [at(1, 'a', 0), at(2, 'a', 5), at(3, 'a', 10), at(4, 'a', 11)]
    const { firings } = await runWindows(p, events, [])
    expect(firings.map((f) => [f.start, f.end, f.ids])).toEqual([
      [-10, 0, ['e1']],
      [-5, 5, ['e1', 'e2']],
      [0, 10, ['e2', 'e3']],
    ])
  })
})

describe('window operators, pure', () => {
  it('step, wakeAt and advance need no pipeline, store or clock', () => {
    const op = windowOperator(tumbling({ size: 10, allowedLateness: 5 }), count())
    const cause = { id: 'e1', correlationId: 'e1' }
    const start = Number.NEGATIVE_INFINITY
    const first = op.step(op.initial(), { key: 'a', time: 3, value: null, cause }, start)
    expect(first.outputs).toEqual([])
    expect(op.wakeAt(first.state, start)).toBe(10)
    const fired = op.advance(first.state, 12, 'a', 10)
    expect(fired.outputs.map((o) => o.value)).toEqual([
      { key: 'a', start: 0, end: 10, value: 1, count: 1, revision: 0 },
    ])
    // Firing on time stores nothing: the same state comes back, to be dropped at end + lateness.
    expect(fired.state).toBe(first.state)
    expect(op.wakeAt(fired.state, 12)).toBe(15)
    const update = op.step(fired.state, { key: 'a', time: 4, value: null, cause }, 12)
    expect(update.outputs.map((o) => o.value.revision)).toEqual([1])
    const dropped = op.advance(update.state, 15, 'a', 15)
    expect(dropped.outputs).toEqual([])
    expect(op.isIdle(dropped.state)).toBe(true)
  })
})

describe('window definitions', () => {
  const rejects = (make: () => unknown, path: string) => {
    try {
      make()
    } catch (err) {
      expect(isBrookError(err, 'VALIDATION') && err.path).toBe(path)
      return
    }
    throw new Error('expected VALIDATION')
  }

  it('rejects invalid sizes, hops, offsets and options with VALIDATION', () => {
    rejects(() => tumbling({ size: -5 }), 'tumbling.size')
    rejects(() => tumbling({ size: 0 }), 'tumbling.size')
    rejects(() => tumbling({ size: 1.5 }), 'tumbling.size')
    rejects(() => tumbling({ size: 10, offset: 10 }), 'tumbling.offset')
    rejects(() => hopping({ size: 10, hop: 11 }), 'hopping.hop')
    rejects(() => hopping({ size: 10, hop: 0 }), 'hopping.hop')
    rejects(() => sliding({ size: 10, outOfOrder: -1 }), 'sliding.outOfOrder')
    rejects(() => sliding({ size: 10, allowedLateness: -1 }), 'sliding.allowedLateness')
    rejects(() => sliding({ size: 10, every: 5 } as never), 'sliding.every')
    rejects(() => session({ gap: 0 }), 'session.gap')
    rejects(() => session({ gap: 5, time: 3 } as never), 'session.time')
  })

  it('rejects sliding and session windows over an aggregate without merge', () => {
    const noMerge = reducer({ init: () => 0, add: (n: number) => n + 1 })
    rejects(
      () =>
        pipeline('p')
          .window(sliding({ size: 5 }))
          .aggregate(noMerge),
      'aggregate',
    )
    rejects(
      () =>
        pipeline('p')
          .window(session({ gap: 5 }))
          .aggregate(noMerge),
      'aggregate',
    )
    expect(() =>
      pipeline('p')
        .window(tumbling({ size: 5 }))
        .aggregate(noMerge),
    ).not.toThrow()
  })
})
