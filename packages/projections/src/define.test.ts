import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { isBrookError, Position, type JsonValue, type RecordedEvent } from '@brook/core'
import { defineProjection, foldBatch, foldEvents } from './define.ts'

type Counter = { count: number; sum: number; last: string | null }
type Events = { Added: { n: number }; Renamed: { to: string }; Reset: Record<string, never> }

const counters = (keyed: boolean) =>
  defineProjection<Counter, Events>({
    name: 'counters',
    version: 1,
    initial: { count: 0, sum: 0, last: null },
    ...(keyed ? { key: (e) => (e.stream === 'skip' ? undefined : e.stream) } : {}),
    on: {
      Added: (s, e) => ({ ...s, count: s.count + 1, sum: s.sum + e.data.n }),
      Renamed: (s, e) => ({ ...s, last: e.data.to }),
      Reset: () => ({ count: 0, sum: 0, last: null }),
    },
  })

const eventArb = fc.record({
  stream: fc.constantFrom('a', 'b', 'c', 'skip'),
  type: fc.constantFrom('Added', 'Renamed', 'Reset', 'Ignored'),
  n: fc.integer({ min: -5, max: 5 }),
})

const record = (i: number, e: { stream: string; type: string; n: number }): RecordedEvent => ({
  id: `e${i}`,
  stream: e.stream,
  version: 1,
  position: Position.of(i + 1),
  type: e.type,
  data: e.type === 'Renamed' ? { to: `name${e.n}` } : { n: e.n },
  meta: {},
  time: 0,
  origin: 'test',
})

/** The model: each event's effect spelled out directly, with no shared code. */
function reference(events: RecordedEvent[], keyed: boolean): Map<string, Counter> {
  const out = new Map<string, Counter>()
  for (const e of events) {
    if (!['Added', 'Renamed', 'Reset'].includes(e.type)) continue
    if (keyed && e.stream === 'skip') continue
    const k = keyed ? e.stream : ''
    const s = out.get(k) ?? { count: 0, sum: 0, last: null }
    if (e.type === 'Added') out.set(k, { ...s, count: s.count + 1, sum: s.sum + (e.data as { n: number }).n })
    if (e.type === 'Renamed') out.set(k, { ...s, last: (e.data as { to: string }).to })
    if (e.type === 'Reset') out.set(k, { count: 0, sum: 0, last: null })
  }
  return out
}

describe('defineProjection', () => {
  it('folds like the reference, keyed or not, whatever the batches', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(eventArb, { maxLength: 80 }),
        fc.boolean(),
        fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 10 }),
        async (specs, keyed, cuts) => {
          const events = specs.map((e, i) => record(i, e))
          const p = counters(keyed)
          const expected = reference(events, keyed)
          expect(foldEvents(p, events)).toEqual(expected)
          // Batched as the runner does: each batch reads a key at most once from "storage".
          const stored = new Map<string, Counter>()
          let at = 0
          for (let i = 0; at < events.length; i++) {
            const size = cuts[i % cuts.length] ?? 1
            const reads: string[] = []
            const touched = await foldBatch(p, events.slice(at, at + size), (k) => {
              reads.push(k)
              return Promise.resolve(stored.get(k))
            })
            expect(new Set(reads).size).toBe(reads.length)
            for (const [k, s] of touched) stored.set(k, s)
            at += size
          }
          expect(stored).toEqual(expected)
        },
      ),
      { numRuns: 200 },
    )
  })

  it('never lets a handler that mutates its state change `initial`', () => {
    const p = defineProjection<{ seen: number[] }>({
      name: 'mutating',
      version: 1,
      initial: { seen: [] },
      on: {
        Added: (s, e) => {
          s.seen.push(e.position) // impure on purpose
          return s
        },
      },
    })
    const events = [record(0, { stream: 'a', type: 'Added', n: 1 }), record(1, { stream: 'b', type: 'Added', n: 1 })]
    expect(foldEvents(p, events).get('')).toEqual({ seen: [1, 2] })
    expect(p.initial).toEqual({ seen: [] })
  })

  it('ignores event types named like Object.prototype members (toString, __proto__, constructor)', () => {
    const p = counters(true)
    const hostile = ['toString', '__proto__', 'constructor', 'hasOwnProperty'].map((type, i) =>
      record(i, { stream: 'a', type, n: 1 }),
    )
    expect(hostile.map((e) => p.keyOf(e))).toEqual([undefined, undefined, undefined, undefined])
    const events = [record(10, { stream: 'a', type: 'Added', n: 2 }), ...hostile]
    expect(foldEvents(p, events).get('a')).toEqual({ count: 1, sum: 2, last: null })
  })

  it('rejects a bad definition with VALIDATION and a path', () => {
    const bad: [string, Record<string, unknown>][] = [
      ['definition.name', { name: '', version: 1, initial: 0, on: {} }],
      ['definition.name', { name: 'a@b', version: 1, initial: 0, on: {} }],
      ['definition.version', { name: 'a', version: 0, initial: 0, on: {} }],
      ['definition.on.X', { name: 'a', version: 1, initial: 0, on: { X: 1 } }],
      ['definition.initial', { name: 'a', version: 1, initial: new Date(), on: {} }],
      ['definition.snapshotEvery', { name: 'a', version: 1, initial: 0, on: {}, snapshotEvery: 5 }],
    ]
    for (const [path, definition] of bad) {
      let caught: unknown
      try {
        defineProjection(definition as never)
      } catch (err) {
        caught = err
      }
      expect(isBrookError(caught, 'VALIDATION'), path).toBe(true)
      expect(
        (caught as { path: string }).path,
        JSON.stringify(definition, (_, x: JsonValue) => x),
      ).toBe(path)
    }
  })
})
