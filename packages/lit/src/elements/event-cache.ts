import type { EventStore, RecordedEvent } from '@brook/core'

/** Pages waiting to load at most; older requests are dropped (their rows scrolled away). */
const MAX_QUEUE = 8

/**
 * How an {@link EventCache} is bounded and reports back.
 *
 * @example
 * ```ts
 * const options: EventCacheOptions = { capacity: 5000, pageSize: 200, onLoad: render, onError: report }
 * ```
 */
export interface EventCacheOptions {
  /** Events held at most (default 2,000): the memory bound, whatever the log's length. */
  capacity?: number
  /** Events per `store.read` (default 100). */
  pageSize?: number
  /** Called after a page loaded (or failed): rows waiting for it can render. */
  onLoad: () => void
  /** Called when a page could not be read (the store closed, storage failed); loading stops. */
  onError: (error: unknown) => void
}

/**
 * A bounded, least-recently-used cache of events by position, filled a page at a time from
 * `store.read({ from, limit })`. Rows ask with {@link EventCache.get}; a miss queues the
 * page that holds the position, newest request first, one read at a time.
 *
 * @example
 * ```ts
 * const cache = new EventCache(store, { onLoad: () => host.requestUpdate(), onError: console.error })
 * const event = cache.get(42) ?? (cache.request(42), undefined)
 * cache.stop()
 * ```
 */
export class EventCache {
  readonly #store: EventStore
  readonly #capacity: number
  readonly #pageSize: number
  readonly #options: EventCacheOptions
  // A Map iterates in insertion order: re-inserting on every hit keeps the least recently
  // used event first, which is the one to evict.
  readonly #events = new Map<number, RecordedEvent>()
  #queue: number[] = []
  readonly #loading = new Set<number>()
  #pumping = false
  #stopped = false

  constructor(store: EventStore, options: EventCacheOptions) {
    this.#store = store
    this.#options = options
    this.#capacity = Math.max(options.capacity ?? 2000, 1)
    this.#pageSize = Math.max(options.pageSize ?? 100, 1)
  }

  /** Events held now. */
  get size(): number {
    return this.#events.size
  }

  /** The event at `position` if it is held (and marks it recently used). */
  get(position: number): RecordedEvent | undefined {
    const event = this.#events.get(position)
    if (event !== undefined) {
      this.#events.delete(position)
      this.#events.set(position, event)
    }
    return event
  }

  /** Holds an event that arrived by other means (a live subscription). */
  put(event: RecordedEvent): void {
    this.#events.delete(event.position)
    this.#events.set(event.position, event)
    while (this.#events.size > this.#capacity) {
      const oldest = this.#events.keys().next()
      if (oldest.done === true) break
      this.#events.delete(oldest.value)
    }
  }

  /** Queues a read of the page holding `position`, unless it is held, loading or queued. */
  request(position: number): void {
    if (this.#stopped || position < 1 || this.#events.has(position)) return
    const page = Math.floor((position - 1) / this.#pageSize)
    if (this.#loading.has(page)) return
    this.#queue = this.#queue.filter((p) => p !== page)
    this.#queue.push(page)
    if (this.#queue.length > MAX_QUEUE) this.#queue.splice(0, this.#queue.length - MAX_QUEUE)
    void this.#pump()
  }

  /** Stops loading; pending reads end without calling back. */
  stop(): void {
    this.#stopped = true
    this.#queue = []
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return
    this.#pumping = true
    try {
      for (let page = this.#queue.pop(); page !== undefined && !this.#stopped; page = this.#queue.pop()) {
        this.#loading.add(page)
        try {
          for await (const event of this.#store.read({ from: page * this.#pageSize + 1, limit: this.#pageSize })) {
            if (this.#stopped) return
            this.put(event)
          }
        } catch (err) {
          // A failed read (closed store, broken storage) would fail again on the next render:
          // stop here rather than retry in a loop; the host reports the error.
          if (this.#stopped) return
          this.stop()
          this.#options.onError(err)
        } finally {
          this.#loading.delete(page)
        }
        if (!this.#stopped) this.#options.onLoad()
      }
    } finally {
      this.#pumping = false
    }
  }
}
