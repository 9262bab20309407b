import type { EventStore, RecordedEvent, Unsubscribe } from '@brook/core'

/** Strings interned to small integers, with a lazily computed verdict per id for one query. */
class Names {
  readonly list: string[] = []
  readonly #ids = new Map<string, number>()
  #query = ''
  #verdicts: boolean[] = []

  id(name: string): number {
    let id = this.#ids.get(name)
    if (id === undefined) {
      id = this.list.length
      this.list.push(name)
      this.#ids.set(name, id)
    }
    return id
  }

  /** Whether name `id` contains `query` (lower-cased), ignoring case; '' matches all. */
  matches(id: number, query: string): boolean {
    if (query === '') return true
    if (query !== this.#query) {
      this.#query = query
      this.#verdicts = []
    }
    let verdict = this.#verdicts[id]
    if (verdict === undefined) {
      verdict = (this.list[id] ?? '').toLowerCase().includes(query)
      this.#verdicts[id] = verdict
    }
    return verdict
  }
}

/**
 * Which events a log view shows: case-insensitive substrings of stream and type ('' = all).
 *
 * @example
 * ```ts
 * const carts: LogFilter = { stream: 'cart-', type: '' }
 * ```
 */
export interface LogFilter {
  stream: string
  type: string
}

/**
 * A compact index of the whole log: the stream and type of every position, and the last
 * version of every stream. It costs 8 bytes per event (two `Uint32Array`s of interned ids),
 * so filtering 100,000 events is a scan of typed arrays, not of IndexedDB. It is filled by
 * one subscription from position 1: catch-up, then live, gap-free by the store's contract.
 *
 * @example
 * ```ts
 * const index = new LogIndex()
 * const stop = index.start(store, { onChange: render, onError: console.error })
 * index.match({ stream: 'cart', type: '' }, 1) // positions of events in streams named *cart*
 * stop()
 * ```
 */
export class LogIndex {
  readonly #streams = new Names()
  readonly #types = new Names()
  #streamOf = new Uint32Array(1024)
  #typeOf = new Uint32Array(1024)
  readonly #versions: number[] = []
  #size = 0

  /** Events indexed: positions 1..size. */
  get size(): number {
    return this.#size
  }

  /** Streams seen so far, in order of first appearance. */
  get streamNames(): readonly string[] {
    return this.#streams.list
  }

  /** Types seen so far, in order of first appearance. */
  get typeNames(): readonly string[] {
    return this.#types.list
  }

  /** The last version seen of stream number `id` (an index into {@link streamNames}). */
  versionOf(id: number): number {
    return this.#versions[id] ?? 0
  }

  /**
   * Subscribes from the first position not yet indexed; returns its own stop. `onChange` is
   * called after each event (the caller throttles), `onError` if the subscription ends.
   */
  start(store: EventStore, on: { onChange: () => void; onError: (error: unknown) => void }): Unsubscribe {
    return store.subscribe({ from: this.#size + 1, onError: on.onError }, (event) => {
      this.add(event)
      on.onChange()
    })
  }

  /** Indexes `event` if it is the next position; anything else is already indexed or skipped. */
  add(event: RecordedEvent): void {
    // Positions are gap-free: only the next one may enter, so a replayed or early event
    // can never shift the arrays out of step with the log.
    if (event.position !== this.#size + 1) return
    if (this.#size === this.#streamOf.length) {
      this.#streamOf = grow(this.#streamOf)
      this.#typeOf = grow(this.#typeOf)
    }
    const stream = this.#streams.id(event.stream)
    this.#streamOf[this.#size] = stream
    this.#typeOf[this.#size] = this.#types.id(event.type)
    this.#versions[stream] = event.version
    this.#size += 1
  }

  /** Positions from `from` to {@link size} whose stream and type match `filter`, ascending. */
  match(filter: LogFilter, from: number): number[] {
    const stream = filter.stream.trim().toLowerCase()
    const type = filter.type.trim().toLowerCase()
    const found: number[] = []
    for (let i = Math.max(from, 1) - 1; i < this.#size; i++) {
      if (this.#streams.matches(this.#streamOf[i] ?? 0, stream) && this.#types.matches(this.#typeOf[i] ?? 0, type)) {
        found.push(i + 1)
      }
    }
    return found
  }
}

function grow(array: Uint32Array<ArrayBuffer>): Uint32Array<ArrayBuffer> {
  const bigger = new Uint32Array(array.length * 2)
  bigger.set(array)
  return bigger
}
