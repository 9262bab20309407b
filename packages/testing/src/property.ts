import { expect } from 'chai'
import fc from 'fast-check'
import { isBrookError, type CommitEntry, type CommitResult, type EventStore, type ExpectedVersion } from '@brook/core'
import { collect } from './assertions.ts'
import type { ContractSubject, TestApi } from './contract.ts'
import { createReferenceLog, type ModelEvent, type ModelOutcome } from './reference-log.ts'

/** An abstract operation; ids and versions are resolved against what happened before it. */
type OpSpec =
  | { kind: 'write'; entries: EntrySpec[]; viaCommit: boolean }
  | { kind: 'retry'; of: number; change: 'none' | 'data' | 'stream' }

interface EntrySpec {
  stream: number
  events: number
  types: number[]
  expect: 'any' | 'no-stream' | 'stream-exists' | 'current' | 'stale' | 'random'
  random: number
}

const entrySpec = fc.record({
  stream: fc.nat({ max: 3 }),
  events: fc.integer({ min: 1, max: 3 }),
  types: fc.array(fc.nat({ max: 2 }), { minLength: 3, maxLength: 3 }),
  expect: fc.constantFrom('any', 'no-stream', 'stream-exists', 'current', 'stale', 'random'),
  random: fc.nat({ max: 6 }),
}) satisfies fc.Arbitrary<EntrySpec>

const opSpec: fc.Arbitrary<OpSpec> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('write'),
      entries: fc.array(entrySpec, { minLength: 1, maxLength: 3 }),
      viaCommit: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('retry'),
      of: fc.nat(),
      change: fc.constantFrom('none', 'none', 'data', 'stream'),
    }),
  },
)

/** Ops, cut into groups; the ops of a group are issued together without awaiting. */
const program = fc.record({
  ops: fc.array(opSpec, { minLength: 1, maxLength: 25 }),
  cuts: fc.array(fc.nat({ max: 4 }), { minLength: 25, maxLength: 25 }),
})

/**
 * Property: for random programs of appends, multi-stream commits, expected versions
 * (right, stale, random), idempotent retries and conflicting id reuse, issued in concurrent
 * groups, the store gives every call the outcome the reference log gives it, and its log
 * reads back exactly as the reference log, forward, backward and per stream.
 */
export function propertyTest(subject: ContractSubject, it: TestApi['it']): void {
  it('matches the reference log for random interleavings of appends, commits and retries', async () => {
    await fc.assert(
      fc.asyncProperty(program, async ({ ops, cuts }) => {
        const store = await subject.open({ now: () => 0, origin: 'o' })
        try {
          const model = createReferenceLog()
          const issued: { entries: CommitEntry[]; viaCommit: boolean }[] = []
          let nextId = 0
          let i = 0
          let cut = 0
          while (i < ops.length) {
            const size = (cuts[cut++] ?? 0) + 1
            const group = ops.slice(i, i + size).map((spec) => {
              const call = materialise(spec, issued, model.versionOf, () => `ev-${nextId++}`)
              issued.push(call)
              return call
            })
            i += size
            // Model outcomes are decided in call order, as the store must decide them.
            const expected = group.map((call) => model.commit(call.entries))
            const actual = await Promise.all(group.map((call) => outcome(run(store, call))))
            expect(actual).to.deep.equal(expected)
          }
          const log = (await collect(store.read())).map(({ time: _t, origin: _o, ...rest }) => rest)
          expect(log).to.deep.equal(model.events)
          expect(await store.head()).to.equal(model.events.length)
          const backward = await collect(store.read({ direction: 'backward' }))
          expect(backward.map((e) => e.id)).to.deep.equal(model.events.map((e) => e.id).reverse())
          for (let s = 0; s < 4; s++) {
            const stream = `s${s}`
            const mine = model.events.filter((e: ModelEvent) => e.stream === stream)
            expect(await store.streamVersion(stream)).to.equal(mine.length)
            expect((await collect(store.readStream(stream))).map((e) => e.id)).to.deep.equal(mine.map((e) => e.id))
          }
        } finally {
          await store.close()
          await subject.dispose?.(store)
        }
      }),
      { numRuns: subject.propertyRuns ?? 100 },
    )
  })
}

function materialise(
  spec: OpSpec,
  issued: readonly { entries: CommitEntry[]; viaCommit: boolean }[],
  versionOf: (stream: string) => number,
  newId: () => string,
): { entries: CommitEntry[]; viaCommit: boolean } {
  if (spec.kind === 'retry' && issued.length > 0) {
    const original = issued[spec.of % issued.length] as { entries: CommitEntry[]; viaCommit: boolean }
    if (spec.change === 'none') return original
    const entries = original.entries.map((entry, k) =>
      k > 0
        ? entry
        : spec.change === 'data'
          ? { ...entry, events: entry.events.map((e, j) => (j === 0 ? { ...e, data: { changed: true } } : e)) }
          : { ...entry, stream: `${entry.stream}x` },
    )
    return { entries, viaCommit: original.viaCommit }
  }
  const entries =
    spec.kind === 'write' ? spec.entries : [{ stream: 0, events: 1, types: [0], expect: 'any', random: 0 } as const]
  return {
    viaCommit: spec.kind === 'write' && spec.viaCommit,
    entries: entries.map((e) => {
      const stream = `s${e.stream}`
      const current = versionOf(stream)
      const expectedVersion: ExpectedVersion =
        e.expect === 'current'
          ? current
          : e.expect === 'stale'
            ? Math.max(0, current - 1)
            : e.expect === 'random'
              ? e.random
              : e.expect
      return {
        stream,
        expectedVersion,
        events: Array.from({ length: e.events }, (_, j) => ({
          id: newId(),
          type: `T${e.types[j] ?? 0}`,
          data: { j, nested: [j, { s: stream }] },
        })),
      }
    }),
  }
}

async function run(store: EventStore, call: { entries: CommitEntry[]; viaCommit: boolean }): Promise<CommitResult> {
  const [only] = call.entries
  if (!call.viaCommit && call.entries.length === 1 && only !== undefined) {
    const r = await store.append(
      only.stream,
      only.events,
      only.expectedVersion === undefined ? {} : { expectedVersion: only.expectedVersion },
    )
    return { position: r.position, results: [r] }
  }
  return store.commit(call.entries)
}

async function outcome(work: Promise<CommitResult>): Promise<ModelOutcome> {
  try {
    const r = await work
    return {
      ok: true,
      position: r.position,
      results: r.results.map((x) => ({ position: x.position, version: x.version, ids: x.events.map((e) => e.id) })),
    }
  } catch (err) {
    if (isBrookError(err, 'CONCURRENCY'))
      return { ok: false, code: err.code, expected: err.expected as ExpectedVersion, actual: err.actual }
    if (isBrookError(err)) return { ok: false, code: err.code }
    throw err
  }
}
