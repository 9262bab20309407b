import { describe, expect, it } from 'vitest'
import { checkConsumer, checkLog, type Dump, type DumpedEvent } from './checker.ts'
import type { OpRecord } from './history.ts'
import { intervals, overlapping } from './leadership.ts'
import { checkProjection } from './projection-check.ts'

// The checker's own discriminating power: each count fires on a log broken that way.
const op = (id: string, stream: string, ids: string[], outcome: OpRecord['outcome']): OpRecord => ({
  op: {
    id,
    kind: 'append',
    store: 's',
    actor: 'a',
    entries: [{ stream, expected: 'any', events: ids.map((x, n) => ({ id: x, type: 'T', data: { n, op: id } })) }],
  },
  invokedAt: 0,
  outcome,
})
const ev = (id: string, stream: string, version: number, position: number): DumpedEvent => ({
  id,
  stream,
  version,
  position,
  type: 'T',
  data: { n: 0 },
  time: 0,
})
const dump = (events: DumpedEvent[], extra: Partial<Dump> = {}): Dump => ({
  exists: true,
  version: 20,
  events,
  checkpoints: [],
  state: [],
  ...extra,
})
const ok = (position: number, version: number) => ({ status: 'ok', position, version, t: 0 }) as const

describe('checker', () => {
  const good = [op('o1', 'x', ['a', 'b'], ok(2, 2)), op('o2', 'y', ['c'], { status: 'info' })]
  const log = [ev('a', 'x', 1, 1), ev('b', 'x', 2, 2), ev('c', 'y', 1, 3)]

  it('a correct log counts nothing', () => {
    const { counts } = checkLog(good, dump(log))
    expect(counts).toMatchObject({ lost: 0, torn: 0, duplicates: 0, unexpected: 0, infoPresent: 1, ackedEvents: 2 })
  })

  it('counts lost, torn, unexpected, gaps, order violations, failed-but-stored and result mismatches', () => {
    const broken = [ev('a', 'x', 1, 1), ev('z', 'x', 3, 2), ev('c', 'y', 1, 4), ev('d', 'y', 1, 5)]
    const ops = [
      ...good,
      op('o3', 'y', ['d'], { status: 'fail', failure: { code: 'CONCURRENCY', typed: true, message: '' }, t: 0 }),
    ]
    const { counts } = checkLog(ops, dump(broken))
    expect(counts).toMatchObject({
      lost: 1,
      torn: 1,
      unexpected: 1,
      versionGaps: 1,
      positionGaps: 2,
      orderViolations: 1,
      failedButStored: 1,
      duplicateVersions: 1,
    })
    expect(checkLog([op('o1', 'x', ['a', 'b'], ok(9, 2))], dump(log)).counts.resultMismatch).toBe(1)
  })

  it('counts double-applied, unseen, applied beyond the checkpoint and state ≠ fold', () => {
    const d = dump(log, {
      checkpoints: [{ consumer: 't', position: 2 }],
      state: [
        { consumer: 't', key: 'applied:a', value: 2 },
        { consumer: 't', key: 'applied:c', value: 1 },
        { consumer: 't', key: 'stream:x', value: { count: 1, sum: 0, lastVersion: 1, violations: 0 } },
      ],
    })
    expect(checkConsumer(d, 't').counts).toMatchObject({
      doubleApplied: 1,
      unseen: 1,
      appliedBeyondCheckpoint: 1,
      stateMismatch: 1,
    })
  })

  it('finds overlapping leaderships, and none for a clean handover', () => {
    const p = (actor: string, t: number, state: string) => ({ actor, t, state, position: 0 })
    const clean = [p('a', 0, 'running'), p('a', 10, 'standby'), p('b', 11, 'running')]
    expect(overlapping(intervals(clean, new Map(), 20))).toEqual([])
    const late = [p('a', 0, 'running'), p('b', 11, 'running'), p('a', 12, 'running')]
    expect(overlapping(intervals(late, new Map([['a', 10]]), 20))).toHaveLength(1)
    // Restored after the fault, the page reports standby: its lead ended at the fault.
    const restored = [p('a', 0, 'running'), p('b', 11, 'running'), p('a', 15, 'standby')]
    expect(overlapping(intervals(restored, new Map([['a', 10]]), 20))).toEqual([])
  })
  it('finds a projection state that is not the fold of the log up to its checkpoint', () => {
    const added = (id: string, stream: string, version: number, position: number, n: number): DumpedEvent => ({
      ...ev(id, stream, version, position),
      type: 'Added',
      data: { n },
    })
    const events = [added('a', 'x', 1, 1, 5), added('b', 'x', 2, 2, 7), added('c', 'y', 1, 3, 1)]
    const id = 'projection:sums@1'
    const state = (x: unknown) => [
      { consumer: id, key: 's:x', value: x },
      { consumer: id, key: '$ready', value: { position: 2, at: 0 } },
    ]
    const good = dump(events, {
      checkpoints: [{ consumer: id, position: 2 }],
      state: state({ count: 2, sum: 12, last: 2 }),
    })
    expect(checkProjection(good).counts).toMatchObject({ projectionNeqFold: 0, projectionNeqReference: 0 })
    // Applied twice (or read-modify-write lost): caught by both oracles.
    const bad = dump(events, {
      checkpoints: [{ consumer: id, position: 2 }],
      state: state({ count: 3, sum: 19, last: 2 }),
    })
    expect(checkProjection(bad).counts).toMatchObject({ projectionNeqFold: 1, projectionNeqReference: 1 })
    // A key past the checkpoint is as wrong as a missing one.
    const ahead = dump(events, {
      checkpoints: [{ consumer: id, position: 1 }],
      state: state({ count: 2, sum: 12, last: 2 }),
    })
    expect(checkProjection(ahead).counts.projectionNeqFold).toBe(1)
  })
})
