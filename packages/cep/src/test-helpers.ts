import {
  Limits,
  copyJson,
  Position,
  matchesFilter,
  prepareAppend,
  toPlainJson,
  type ConsumerTx,
  type EventStore,
  type JsonValue,
  type NewEvent,
  type RecordedEvent,
} from '@brook/core'
import type { CepConsumer } from './consumer.ts'

/** Test-only helpers (excluded from the build): fake events, a fake transaction, a tiny runner. */

/**
 * A recorded event for tests; `position` doubles as the id unless given.
 *
 * @example
 * ```ts
 * const e = recorded({ position: 1, stream: 'dev-1', type: 'Reading', data: { value: 3 }, time: 10 })
 * ```
 */
export function recorded<D>(e: {
  position: number
  stream: string
  type: string
  data: D
  time: number
  id?: string
  meta?: Record<string, unknown>
}): RecordedEvent<string, D> {
  return {
    id: e.id ?? `e${e.position}`,
    stream: e.stream,
    version: 1,
    position: Position.of(e.position),
    type: e.type,
    data: e.data,
    meta: e.meta ?? {},
    time: e.time,
    origin: 'test',
  }
}

/** What a harness committed: state and appends, in commit order. */
export interface Committed {
  state: Map<string, JsonValue>
  appended: { stream: string; event: NewEvent }[]
}

/**
 * Runs a consumer's `handle` the way the worker runtime does, against memory: `tx` reads
 * committed state plus the batch's own writes, and a batch commits only if `handle` succeeds.
 * `crash` simulates the worker dying: after `at` tx calls (or, if `at` is past the end, after
 * `handle` returned), the batch's writes and appends are thrown away, as an aborted IndexedDB
 * transaction would.
 *
 * @example
 * ```ts
 * const h = createHarness(consumer)
 * await h.run(batch, { at: 3 }) // false: crashed, nothing committed
 * await h.run(batch) // true
 * ```
 */
export function createHarness(consumer: CepConsumer) {
  const committed: Committed = { state: new Map(), appended: [] }
  let calls = { get: 0, put: 0, append: 0 }
  async function run(batch: readonly RecordedEvent[], crash?: { at: number }): Promise<boolean> {
    const writes = new Map<string, JsonValue | undefined>()
    const appends: { stream: string; event: NewEvent }[] = []
    let count = 0
    const tick = () => {
      count += 1
      if (crash !== undefined && count > crash.at) throw new Error('crash (simulated)')
    }
    const tx: ConsumerTx = {
      get<T extends JsonValue = JsonValue>(key: string) {
        tick()
        calls.get += 1
        const value = writes.has(key) ? writes.get(key) : committed.state.get(key)
        return Promise.resolve(value === undefined ? undefined : (copyJson(value) as T))
      },
      put(key, value) {
        tick()
        calls.put += 1
        writes.set(key, toPlainJson(value, key))
      },
      delete(key) {
        tick()
        writes.set(key, undefined)
      },
      append(stream, events) {
        tick()
        calls.append += 1
        // The real store validates at once too: this catches any malformed emission.
        let n = 0
        prepareAppend(stream, events, {}, Limits.maxEventBytes, () => `id-${++n}`)
        for (const event of events) appends.push({ stream, event: JSON.parse(JSON.stringify(event)) as NewEvent })
      },
    }
    try {
      await consumer.handle(batch, tx)
      if (crash !== undefined) throw new Error('crash (simulated) before commit')
    } catch (err) {
      if (crash !== undefined && err instanceof Error && err.message.startsWith('crash (simulated)')) return false
      throw err
    }
    for (const [key, value] of writes) {
      if (value === undefined) committed.state.delete(key)
      else committed.state.set(key, value)
    }
    committed.appended.push(...appends)
    return true
  }
  return {
    committed,
    run,
    /** tx calls made so far (crashed attempts included). */
    calls: () => calls,
    resetCalls: () => {
      calls = { get: 0, put: 0, append: 0 }
    },
  }
}

/**
 * Drives a consumer over a store to the head, like `runConsumer` would: reads after the
 * checkpoint, filters, cuts batches, and commits each batch's appends to the store.
 *
 * @example
 * ```ts
 * await drain(store, averages.toConsumer({ store: 'test' }), harness)
 * ```
 */
export async function drain(
  store: EventStore,
  consumer: CepConsumer,
  harness: ReturnType<typeof createHarness>,
  from = 1,
): Promise<number> {
  const wanted = matchesFilter(consumer.filter)
  const batch: RecordedEvent[] = []
  let last = from - 1
  const flush = async () => {
    const before = harness.committed.appended.length
    await harness.run(batch.splice(0))
    const fresh = harness.committed.appended.slice(before)
    if (fresh.length > 0) await store.commit(fresh.map((a) => ({ stream: a.stream, events: [a.event] })))
  }
  for await (const e of store.read({ from })) {
    last = e.position
    if (!wanted(e)) continue
    batch.push(e)
    if (batch.length >= consumer.batchSize) await flush()
  }
  if (batch.length > 0) await flush()
  return last + 1
}

/**
 * Splits `list` into consecutive batches at the given cut points (each taken modulo length).
 *
 * @example
 * ```ts
 * cut([1, 2, 3, 4], [1, 3]) // [[1], [2, 3], [4]]
 * ```
 */
export function cut<T>(list: readonly T[], cuts: readonly number[]): T[][] {
  const points = [...new Set(cuts.map((c) => (list.length === 0 ? 0 : c % list.length)))].filter((c) => c > 0)
  points.sort((a, b) => a - b)
  const out: T[][] = []
  let from = 0
  for (const p of [...points, list.length]) {
    if (p > from) out.push(list.slice(from, p))
    from = p
  }
  return out
}
