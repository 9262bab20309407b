import type { ConsumerTx, EventFilter, JsonValue, NewEvent, RecordedEvent } from '@brook/core'
import type { Definition, Emitted, LateItem } from './definition.ts'
import { keysToLoad, runEngine, type EngineGlobal, type EngineInput, type EngineOutput } from './engine.ts'
import { causeOf, timeOf, type Cause } from './operator.ts'
import { invalid, readOptions, text, wholeNumber } from './validate.ts'

/**
 * A pipeline as a durable consumer definition, for `runConsumer` from `@brook/worker/worker`.
 *
 * @example
 * ```ts
 * // averages.consumer.ts
 * runConsumer(averages.toConsumer({ store: 'plant' }))
 * ```
 */
export interface CepConsumer {
  name: string
  store: string
  filter?: EventFilter
  batchSize: number
  handle(batch: readonly RecordedEvent[], tx: ConsumerTx): Promise<void>
}

/**
 * Options of `toConsumer`: the store, and optionally another name and a batch size.
 *
 * @example
 * ```ts
 * const options: ConsumerOptions = { store: 'plant', name: 'averages-v2', batchSize: 500 }
 * ```
 */
export interface ConsumerOptions {
  store: string
  /** Names the checkpoint and the state. Default: the pipeline's name. */
  name?: string
  /** Events per `handle` call and transaction (default 100). */
  batchSize?: number
}

/**
 * Where the pipeline keeps its state in `tx`: `g` (watermark and timers), `s:<key>` (one
 * operator state per key, so a batch touches only its keys), `late` (the late count).
 *
 * @example
 * ```ts
 * const late = await tx.get<{ count: number }>(StateKeys.late) // { count: 3 }
 * ```
 */
export const StateKeys = { global: 'g', late: 'late', key: (key: string) => `s:${key}` } as const

/**
 * Builds the consumer definition for a pipeline.
 *
 * @example
 * ```ts
 * const consumer = toConsumer(definition, { store: 'plant', batchSize: 500 })
 * ```
 */
export function toConsumer(def: Definition, options: ConsumerOptions): CepConsumer {
  const o = readOptions(options, 'toConsumer', ['store', 'name', 'batchSize'])
  const filter: EventFilter = {
    ...(def.selection?.types === undefined ? {} : { types: def.selection.types }),
    ...(def.selection?.streams === undefined ? {} : { streams: def.selection.streams }),
  }
  return {
    name: o['name'] === undefined ? def.name : text(o['name'], 'toConsumer.name'),
    store: text(o['store'], 'toConsumer.store'),
    ...(Object.keys(filter).length === 0 ? {} : { filter }),
    batchSize: wholeNumber(o['batchSize'], 'toConsumer.batchSize', 1, 100),
    handle: createHandler(def),
  }
}

function selector(def: Definition): (e: RecordedEvent) => boolean {
  const types = def.selection?.types === undefined ? undefined : new Set(def.selection.types)
  const streams = def.selection?.streams === undefined ? undefined : new Set(def.selection.streams)
  const where = def.selection?.where
  // The runner filters too, but a handler must not rely on it (a replay may pass anything).
  return (e) =>
    (types === undefined || types.has(e.type)) &&
    (streams === undefined || streams.has(e.stream)) &&
    (where === undefined || where(e))
}

/** Buffers appends, one `tx.append` per run of emissions to the same stream, in order. */
function createAppender(def: Definition) {
  const runs: { stream: string; events: NewEvent[] }[] = []
  const add = (emitted: Emitted, cause: Cause) => {
    if (emitted === null || emitted === undefined || emitted === false) return
    const list: readonly unknown[] = Array.isArray(emitted) ? emitted : [emitted]
    for (const emission of list) {
      if (typeof emission !== 'object' || emission === null) {
        throw invalid(`pipeline ${def.name}: emit`, 'must return { stream, type, data }, an array of them, or null')
      }
      const { stream, ...event } = emission as NewEvent & { stream: unknown }
      const s = text(stream, `pipeline ${def.name}: emit(…).stream`)
      const meta = { ...event.meta, causationId: cause.id, correlationId: cause.correlationId }
      const last = runs[runs.length - 1]
      if (last?.stream === s) last.events.push({ ...event, meta })
      else runs.push({ stream: s, events: [{ ...event, meta }] })
    }
  }
  const flush = (tx: ConsumerTx) => {
    for (const run of runs) tx.append(run.stream, run.events)
  }
  return { add, flush }
}

function createHandler(def: Definition): CepConsumer['handle'] {
  const selected = selector(def)
  const { op, keyBy } = def
  const through = (item: unknown): unknown[] => {
    let items = [item]
    for (const f of def.post) items = items.flatMap((x) => f(x))
    return items
  }
  return async (batch, tx) => {
    const appender = createAppender(def)
    const inputs: EngineInput[] = []
    for (const event of batch) {
      if (!selected(event)) continue
      let items: readonly unknown[] = [event]
      for (const f of def.pre) items = items.flatMap((item) => f(item, event))
      const cause = causeOf(event)
      for (const value of items) {
        if (op === undefined) {
          for (const out of through(value)) appender.add(def.emit?.(out, event), cause)
          continue
        }
        const key = keyBy === undefined ? '' : keyBy(value, event)
        if (typeof key !== 'string') {
          throw invalid(`pipeline ${def.name}: keyBy`, `must return a string (got ${typeof key})`)
        }
        inputs.push({ key, time: timeOf(op.eventTime, value, event), value, cause, event })
      }
    }
    if (op !== undefined && inputs.length > 0) {
      const global = ((await tx.get(StateKeys.global)) as EngineGlobal | undefined) ?? { max: null, at: [], keys: [] }
      const states = new Map<string, unknown>()
      await Promise.all(
        [...keysToLoad(global, inputs, op.eventTime.outOfOrder)].map(async (key) => {
          const state = await tx.get(StateKeys.key(key))
          if (state !== undefined) states.set(key, state)
        }),
      )
      const run = runEngine(op, global, states, inputs)
      for (const key of run.dirty) {
        if (states.has(key)) tx.put(StateKeys.key(key), states.get(key))
        else tx.delete(StateKeys.key(key))
      }
      tx.put(StateKeys.global, run.global)
      await emitAll(def, run.outputs, appender, through, tx)
    }
    appender.flush(tx)
  }
}

async function emitAll(
  def: Definition,
  outputs: readonly EngineOutput[],
  appender: ReturnType<typeof createAppender>,
  through: (item: unknown) => unknown[],
  tx: ConsumerTx,
): Promise<void> {
  let late = 0
  for (const o of outputs) {
    if (o.kind === 'out') {
      for (const item of through(o.out.value)) appender.add(def.emit?.(item, undefined), o.out.cause)
      continue
    }
    late += 1
    const { input, watermark } = o.late
    const item: LateItem<unknown> = {
      item: input.value,
      event: input.event,
      key: input.key,
      time: input.time,
      watermark,
    }
    appender.add(def.late?.(item), input.cause)
  }
  if (late > 0) {
    const seen = (await tx.get<{ count: number } & { [k: string]: JsonValue }>(StateKeys.late)) ?? { count: 0 }
    tx.put(StateKeys.late, { count: seen.count + late })
  }
}
