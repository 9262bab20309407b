import type { RecordedEvent } from '@brook/core'
import type { Caused, Operator, Timed } from './operator.ts'

/**
 * The pipeline-wide part of the durable state: the greatest event time seen (the watermark is
 * that minus `outOfOrder`) and the timers: for each key with pending work, the watermark at
 * which it next needs `advance`, as parallel arrays sorted by (time, key). Sorted, the due
 * timers are a prefix, so a batch neither rebuilds a heap nor scans every key; flat arrays copy
 * and validate fast. Per-key state lives apart, so a batch reads and writes only its keys.
 */
export interface EngineGlobal {
  max: number | null
  at: number[]
  keys: string[]
}

/** An item ready for the operator, with its source event (for the late output). */
export interface EngineInput extends Timed<unknown> {
  readonly event: RecordedEvent
}

/** An item the operator refused as late, with the watermark it arrived at. */
export interface LateInput {
  readonly input: EngineInput
  readonly watermark: number
}

/** What a batch produced, in order: operator outputs and late items interleaved as they happened. */
export type EngineOutput = { kind: 'out'; out: Caused<unknown> } | { kind: 'late'; late: LateInput }

/**
 * The watermark for a global state: `-Infinity` before any event.
 *
 * @example
 * ```ts
 * watermarkOf(global, 2_000)
 * ```
 */
export function watermarkOf(global: EngineGlobal, outOfOrder: number): number {
  return global.max === null ? Number.NEGATIVE_INFINITY : global.max - outOfOrder
}

/**
 * The keys a batch can touch: its own, and those whose timers fall due by the watermark the
 * batch will reach. Loading them up front keeps the operator loop synchronous.
 *
 * @example
 * ```ts
 * const keys = keysToLoad(global, inputs, op.eventTime.outOfOrder)
 * ```
 */
export function keysToLoad(global: EngineGlobal, inputs: readonly EngineInput[], outOfOrder: number): Set<string> {
  let max = global.max ?? Number.NEGATIVE_INFINITY
  const keys = new Set<string>()
  for (const input of inputs) {
    keys.add(input.key)
    if (input.time > max) max = input.time
  }
  const reach = max - outOfOrder
  for (let i = 0; i < global.at.length && (global.at[i] as number) <= reach; i++) keys.add(global.keys[i] as string)
  return keys
}

const before = (a: [number, string], b: [number, string]) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1])

/** A binary min-heap of `[at, key]`, ordered by time then key so ties fire in a fixed order. */
class TimerHeap {
  private readonly items: [number, string][] = []
  private readonly less = before
  peek(): [number, string] | undefined {
    return this.items[0]
  }
  push(item: [number, string]): void {
    const h = this.items
    h.push(item)
    for (let i = h.length - 1; i > 0;) {
      const parent = (i - 1) >> 1
      if (!this.less(h[i] as [number, string], h[parent] as [number, string])) break
      ;[h[i], h[parent]] = [h[parent] as [number, string], h[i] as [number, string]]
      i = parent
    }
  }
  pop(): void {
    const h = this.items
    const last = h.pop()
    if (last === undefined || h.length === 0) return
    h[0] = last
    for (let i = 0; ;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < h.length && this.less(h[l] as [number, string], h[m] as [number, string])) m = l
      if (r < h.length && this.less(h[r] as [number, string], h[m] as [number, string])) m = r
      if (m === i) break
      ;[h[i], h[m]] = [h[m] as [number, string], h[i] as [number, string]]
      i = m
    }
  }
}

/**
 * Runs one batch of inputs through a keyed operator, synchronously. `states` must hold every
 * key of {@link keysToLoad} (absent = initial); it is updated in place, and `dirty` names the
 * keys to write back (a dirty key absent from `states` is to be deleted). For each input, in
 * order: the operator takes it at the current watermark, the watermark moves to
 * `max time - outOfOrder`, then every key whose timer is due is advanced, in order of
 * (timer, key). The result depends only on the inputs and the stored state, never on how the
 * log was cut into batches.
 *
 * @example
 * ```ts
 * const run = runEngine(op, global, states, inputs)
 * ```
 */
export function runEngine(
  op: Operator<unknown, unknown>,
  global: EngineGlobal,
  states: Map<string, unknown>,
  inputs: readonly EngineInput[],
): { global: EngineGlobal; dirty: Set<string>; outputs: EngineOutput[] } {
  const outOfOrder = op.eventTime.outOfOrder
  let max = global.max
  let watermark = watermarkOf(global, outOfOrder)
  // Stored timers are consumed from the front; a key whose timer changed in this batch is in
  // `changed` (undefined: no timer), its stored entry is stale and its new one is in `heap`.
  let next = 0
  const changed = new Map<string, number | undefined>()
  const heap = new TimerHeap()
  const dirty = new Set<string>()
  const outputs: EngineOutput[] = []
  const stateOf = (key: string) => (states.has(key) ? states.get(key) : op.initial())
  const retime = (key: string, state: unknown) => {
    const at = op.wakeAt(state, watermark)
    if (changed.has(key) && changed.get(key) === at) return
    changed.set(key, at)
    if (at !== undefined) heap.push([at, key])
  }
  const settle = (key: string, state: unknown) => {
    // An idle state is dropped at once, as if deleted and read back: the next event of that key
    // then starts from `initial()` whether or not a batch ended in between.
    if (op.isIdle(state)) states.delete(key)
    else states.set(key, state)
    dirty.add(key)
    retime(key, state)
  }
  /** The earliest live timer, stored or new, if the watermark reached it. */
  const due = (): [number, string] | undefined => {
    while (next < global.at.length && changed.has(global.keys[next] as string)) next++
    for (let top = heap.peek(); top !== undefined && changed.get(top[1]) !== top[0]; top = heap.peek()) heap.pop()
    const stored: [number, string] | undefined =
      next < global.at.length ? [global.at[next] as number, global.keys[next] as string] : undefined
    const fresh = heap.peek()
    const first = stored === undefined || (fresh !== undefined && before(fresh, stored)) ? fresh : stored
    if (first === undefined || first[0] > watermark) return undefined
    if (first === stored) next++
    else heap.pop()
    return first
  }
  for (const input of inputs) {
    const step = op.step(stateOf(input.key), input, watermark)
    if (step.late === true) outputs.push({ kind: 'late', late: { input, watermark } })
    else {
      for (const out of step.outputs) outputs.push({ kind: 'out', out })
      settle(input.key, step.state)
    }
    if (max === null || input.time > max) {
      max = input.time
      watermark = max - outOfOrder
    }
    for (let timer = due(); timer !== undefined; timer = due()) {
      const [at, key] = timer
      // Consumed: until retimed, the key has no timer.
      changed.set(key, undefined)
      const state = stateOf(key)
      const result = op.advance(state, watermark, key, at)
      for (const out of result.outputs) outputs.push({ kind: 'out', out })
      // The same state back means nothing to store (e.g. windows fired on time): no write.
      if (result.state === state) retime(key, state)
      else settle(key, result.state)
      const again = changed.get(key)
      // An operator must finish all work due at this watermark, or this loop would spin.
      if (again !== undefined && again <= watermark) {
        throw new Error(`@brook/cep: operator ${op.kind} left work due at watermark ${watermark} for key ${key}`)
      }
    }
  }
  return { global: { max, ...mergeTimers(global, next, changed) }, dirty, outputs }
}

/** The stored timers not yet consumed nor changed, merged with the changed ones, sorted. */
function mergeTimers(global: EngineGlobal, from: number, changed: Map<string, number | undefined>) {
  const fresh: [number, string][] = []
  for (const [key, at] of changed) if (at !== undefined) fresh.push([at, key])
  fresh.sort((a, b) => (before(a, b) ? -1 : 1))
  const at: number[] = []
  const keys: string[] = []
  let j = 0
  for (let i = from; i < global.at.length; i++) {
    const key = global.keys[i] as string
    if (changed.has(key)) continue
    const stored: [number, string] = [global.at[i] as number, key]
    for (; j < fresh.length && before(fresh[j] as [number, string], stored); j++) {
      at.push((fresh[j] as [number, string])[0])
      keys.push((fresh[j] as [number, string])[1])
    }
    at.push(stored[0])
    keys.push(key)
  }
  for (; j < fresh.length; j++) {
    at.push((fresh[j] as [number, string])[0])
    keys.push((fresh[j] as [number, string])[1])
  }
  return { at, keys }
}
