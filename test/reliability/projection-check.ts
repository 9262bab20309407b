import { isDeepStrictEqual } from 'node:util'
import type { RecordedEvent } from '@brook/core'
import { foldEvents, projectionConsumerId } from '@brook/projections'
import type { Dump, DumpedEvent, Samples } from './checker.ts'
import { sums, type Sums } from './fixture/sums.ts'
import type { Recorder } from './report.ts'

/** Counts over the `sums` projection's stored state. Every field in {@link PROJECTION_ZERO} must be 0. */
export interface ProjectionCounts {
  projectionCheckpoint: number
  projectionKeys: number
  /** Keys whose stored state differs from `foldEvents(sums, log up to the checkpoint)`. */
  projectionNeqFold: number
  /** Keys whose stored state differs from this file's own reducer (an oracle independent of Brook). */
  projectionNeqReference: number
}

export const PROJECTION_ZERO = [
  'projectionNeqFold',
  'projectionNeqReference',
] as const satisfies readonly (keyof ProjectionCounts)[]

/** The reference reducer, written out without Brook: per stream, Added events only. */
export function referenceSums(events: readonly DumpedEvent[]): Map<string, Sums> {
  const out = new Map<string, Sums>()
  for (const e of events) {
    if (e.type !== 'Added') continue
    const s = out.get(e.stream) ?? { count: 0, sum: 0, last: 0 }
    out.set(e.stream, { count: s.count + 1, sum: s.sum + (e.data as { n: number }).n, last: e.version })
  }
  return out
}

const STATE = 's:'

/**
 * Checks the `sums` projection (fixture/sums.ts) in `dump`: its state per key against the
 * fold of the log up to its checkpoint, computed with Brook's `foldEvents` and with the
 * reference reducer above.
 *
 * @example
 * ```ts
 * const { counts } = checkProjection(dump)
 * ```
 */
export function checkProjection(dump: Dump): { counts: ProjectionCounts; samples: Samples } {
  const id = projectionConsumerId(sums.name, sums.version)
  const checkpoint = dump.checkpoints.find((c) => c.consumer === id)?.position ?? 0
  const stored = new Map(
    dump.state
      .filter((r) => r.consumer === id && r.key.startsWith(STATE))
      .map((r) => [r.key.slice(STATE.length), r.value]),
  )
  const log = [...dump.events].sort((a, b) => a.position - b.position).filter((e) => e.position <= checkpoint)
  let byBrook: ReadonlyMap<string, unknown>
  let foldThrew: string | undefined
  try {
    byBrook = foldEvents(sums, log as unknown as RecordedEvent[])
  } catch (err) {
    // The reference fold itself failed on this log: every key counts as a mismatch.
    foldThrew = `foldEvents threw: ${String(err)}`
    byBrook = new Map([['(foldEvents threw)', foldThrew]])
  }
  const byReference = referenceSums(log)
  const samples: Samples = {}
  const mismatches = (expected: ReadonlyMap<string, unknown>, name: string) => {
    let n = 0
    for (const key of new Set([...expected.keys(), ...stored.keys()])) {
      if (isDeepStrictEqual(stored.get(key), expected.get(key))) continue
      n += 1
      const list = (samples[name] ??= [])
      if (list.length < 5) {
        list.push(`${key}: stored ${JSON.stringify(stored.get(key))}, expected ${JSON.stringify(expected.get(key))}`)
      }
    }
    return n
  }
  return {
    counts: {
      projectionCheckpoint: checkpoint,
      projectionKeys: stored.size,
      projectionNeqFold: mismatches(byBrook, 'projectionNeqFold'),
      projectionNeqReference: mismatches(byReference, 'projectionNeqReference'),
    },
    samples,
  }
}

/**
 * Checks the projection and records its counts; returns the problems (empty when all is well).
 * With `head`, the projection must also have caught up to it.
 */
export function verifyProjection(r: Recorder, dump: Dump, head?: number): string[] {
  const { counts, samples } = checkProjection(dump)
  r.counts(counts, PROJECTION_ZERO)
  const problems = PROJECTION_ZERO.filter((k) => counts[k] !== 0).map(
    (k) => `${k}=${counts[k]} ${JSON.stringify(samples[k] ?? [])}`,
  )
  if (head !== undefined && counts.projectionCheckpoint !== head) {
    problems.push(`projection checkpoint ${counts.projectionCheckpoint}, expected ${head}`)
  }
  return problems
}
