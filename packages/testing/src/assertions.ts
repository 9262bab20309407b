import { expect } from 'chai'
import { isBrookError, type BrookErrorOf, type ErrorCode, type EventStore, type RecordedEvent } from '@brook/core'

/**
 * Awaits `work` and asserts it rejects with a {@link BrookError} of `code`; returns the error
 * so the caller can check its fields.
 *
 * @example
 * ```ts
 * const err = await rejectsWith(store.append('a', []), 'VALIDATION')
 * expect(err.path).to.equal('events')
 * ```
 */
export async function rejectsWith<C extends ErrorCode>(work: Promise<unknown>, code: C): Promise<BrookErrorOf<C>> {
  let outcome: unknown
  try {
    outcome = await work
  } catch (err) {
    if (isBrookError(err, code)) return err
    throw new Error(`expected a BrookError ${code}, got ${describe(err)}`, { cause: err })
  }
  throw new Error(`expected a BrookError ${code}, but it resolved with ${JSON.stringify(outcome)}`)
}

/** Like {@link rejectsWith} for a function that may throw synchronously (a read's options). */
export async function throwsWith<C extends ErrorCode>(work: () => unknown, code: C): Promise<BrookErrorOf<C>> {
  return rejectsWith(Promise.resolve().then(work), code)
}

function describe(err: unknown): string {
  if (isBrookError(err)) return `BrookError ${err.code}: ${err.message}`
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err)
}

/**
 * Collects an async iterable into an array.
 *
 * @example
 * ```ts
 * const events = await collect(store.read({ from: 5 }))
 * ```
 */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of iterable) out.push(item)
  return out
}

/**
 * Asserts the log's invariants: positions 1..head without gaps, and per stream versions
 * 1..n without gaps in position order.
 *
 * @example
 * ```ts
 * await expectWellFormed(store)
 * ```
 */
export async function expectWellFormed(store: EventStore): Promise<RecordedEvent[]> {
  const all = await collect(store.read())
  expect(all.map((e) => e.position)).to.deep.equal(
    all.map((_, i) => i + 1),
    'positions are gap-free',
  )
  expect(await store.head()).to.equal(all.length)
  const versions = new Map<string, number>()
  for (const e of all) {
    const next = (versions.get(e.stream) ?? 0) + 1
    expect(e.version, `version of ${e.stream} at position ${e.position}`).to.equal(next)
    versions.set(e.stream, next)
  }
  return all
}
