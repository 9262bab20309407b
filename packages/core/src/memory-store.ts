import * as v from 'valibot'
import { uuidv7 } from 'uuidv7'
import { BrookError } from './errors.ts'
import { planCommit, type LogState, type Outcome } from './plan.ts'
import { createWake, startSubscription } from './subscribe.ts'
import { Position } from './position.ts'
import type { AppendResult, CommitResult, EventStore, RecordedEvent } from './types.ts'
import {
  Limits,
  parse,
  parseReadOptions,
  parseReadStreamOptions,
  parseStream,
  prepareAppend,
  prepareCommit,
  type ParsedRead,
  type PreparedEntry,
} from './validation.ts'

export interface MemoryEventStoreOptions {
  /** Shown in errors and used by tooling. Default `'memory'`. */
  name?: string
  /** Largest accepted event (type + data + meta as UTF-8 JSON). Default 1 MiB. */
  maxEventBytes?: number
  /** The recorder's clock, in ms. Default `Date.now`. */
  now?: () => number
  /** This replica's id, stamped on new events as `origin`. Default: a fresh UUIDv7. */
  origin?: string
}

/** Options shared by every store: validated strictly, so a misspelt option is an error. */
export const StoreOptionEntries = {
  maxEventBytes: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(64))),
  now: v.optional(v.custom<() => number>((f) => typeof f === 'function', 'must be a function')),
  origin: v.optional(v.pipe(v.string(), v.minLength(1))),
}

const MemoryOptionsSchema = v.strictObject({ name: v.optional(v.string()), ...StoreOptionEntries })

/**
 * An {@link EventStore} held in memory: same contract as the IndexedDB store, for tests and
 * Node. Nothing survives the process.
 *
 * @example
 * ```ts
 * const store = createMemoryEventStore()
 * await store.append('cart-1', [{ type: 'CartOpened', data: {} }], { expectedVersion: 'no-stream' })
 * await store.head() // 1
 * ```
 */
export function createMemoryEventStore(options: MemoryEventStoreOptions = {}): EventStore {
  const opts = parse(MemoryOptionsSchema, options, 'options')
  const name = opts.name ?? 'memory'
  const maxEventBytes = opts.maxEventBytes ?? Limits.maxEventBytes
  const now = opts.now ?? Date.now
  const origin = opts.origin ?? uuidv7()
  const log: RecordedEvent[] = []
  const streams = new Map<string, RecordedEvent[]>()
  const state: LogState = { head: 0, versions: new Map(), byId: new Map() }
  let closed = false
  const wake = createWake()

  const ensureOpen = () => {
    if (closed) throw BrookError.create('STORE_CLOSED', `store ${name} is closed`, { reason: 'closed' })
  }

  // Async like a real store, so callers' interleavings behave the same on both. A call
  // accepted before close() still completes, as in the durable store.
  async function run(entries: PreparedEntry[]): Promise<CommitResult> {
    await Promise.resolve()
    const outcome: Outcome = planCommit(state, entries, { time: now(), origin })
    if (outcome.kind === 'error') throw outcome.error
    if (outcome.kind === 'write') {
      for (const r of outcome.records) {
        log.push(r)
        const list = streams.get(r.stream) ?? []
        list.push(r)
        streams.set(r.stream, list)
      }
      wake.bump()
    }
    return copyResult(outcome.result)
  }

  const store: EventStore = {
    name,
    async append(stream, events, appendOptions): Promise<AppendResult> {
      ensureOpen()
      const { results } = await run(prepareAppend(stream, events, appendOptions, maxEventBytes, uuidv7))
      return results[0] as AppendResult
    },
    async commit(entries) {
      ensureOpen()
      return run(prepareCommit(entries, maxEventBytes, uuidv7))
    },
    read(readOptions) {
      ensureOpen()
      const o = parseReadOptions(readOptions)
      return iterate(log, o)
    },
    readStream(stream, readOptions) {
      ensureOpen()
      const o = parseReadStreamOptions(stream, readOptions)
      return iterate(streams.get(o.stream) ?? [], o)
    },
    async head() {
      ensureOpen()
      return Promise.resolve(Position.of(state.head))
    },
    async streamVersion(stream) {
      ensureOpen()
      return Promise.resolve(state.versions.get(parseStream(stream)) ?? 0)
    },
    subscribe(subscribeOptions, handler) {
      ensureOpen()
      return startSubscription(
        {
          read: (o) => store.read(o),
          head: () => store.head(),
          seq: wake.seq,
          wait: (seen, stop) => wake.wait(seen, stop),
        },
        subscribeOptions,
        handler,
      )
    },
    async close() {
      closed = true
      // Wake sleeping subscriptions so they see the store is closed and end.
      wake.bump()
      return Promise.resolve()
    },
  }
  return store
}

// `list` is sorted by position (or version) and gap-free from 1, so index = key - 1.
async function* iterate(list: readonly RecordedEvent[], o: ParsedRead): AsyncGenerator<RecordedEvent> {
  let yielded = 0
  const forward = o.direction === 'forward'
  let i = forward ? (o.from ?? 1) - 1 : Math.min(o.from ?? list.length, list.length) - 1
  while (yielded < o.limit && i >= 0 && i < list.length) {
    const e = list[i] as RecordedEvent
    i += forward ? 1 : -1
    if (o.types !== undefined && !o.types.has(e.type)) continue
    yielded += 1
    await Promise.resolve()
    yield copyEvent(e)
  }
}

// Callers get copies: mutating a result must never change the log.
function copyEvent(e: RecordedEvent): RecordedEvent {
  return {
    ...e,
    data: JSON.parse(JSON.stringify(e.data)) as unknown,
    meta: JSON.parse(JSON.stringify(e.meta)) as RecordedEvent['meta'],
  }
}

function copyResult(r: CommitResult): CommitResult {
  return {
    position: r.position,
    results: r.results.map((a) => ({ ...a, events: a.events.map(copyEvent) })),
  }
}
