import type { EventStore, RecordedEvent, Unsubscribe } from '@brook/core'
import { EventCache } from './event-cache.ts'
import { LogIndex, type LogFilter } from './log-index.ts'
import { errorText } from './format.ts'

/** Changes are reported at most this often: a burst of 1,000 appends is one render, not 1,000. */
const THROTTLE_MS = 30

/**
 * What a log view reads: the head, the positions to show (all, or those matching a filter),
 * and the events themselves through a bounded cache. It holds one live subscription from the
 * end of the log, and, once a filter is used, a {@link LogIndex} with a second one from the
 * start. `stop()` releases both, the cache's reads and the pending timer.
 *
 * @example
 * ```ts
 * const feed = new LogFeed(store, () => host.requestUpdate())
 * feed.start()
 * const items = feed.positions({ stream: '', type: '' }) // [1, 2, …, head]
 * feed.event(items[0]) // undefined until its page is read; then onChange fires
 * feed.stop()
 * ```
 */
export class LogFeed {
  readonly store: EventStore
  /** Why the feed stopped early (a store error), or ''. */
  error = ''
  readonly #onChange: () => void
  readonly #cache: EventCache
  #head = 0
  #headKnown = false
  #all: number[] = []
  #allView: number[] = []
  #index: LogIndex | undefined
  #matched: { key: string; positions: number[]; upTo: number; view: number[] } | undefined
  #unsubscribes: Unsubscribe[] = []
  #timer: ReturnType<typeof setTimeout> | undefined
  #stopped = false

  constructor(store: EventStore, onChange: () => void) {
    this.store = store
    this.#onChange = onChange
    this.#cache = new EventCache(store, { onLoad: () => this.#changed(), onError: (err) => this.#fail(err) })
  }

  /** The last position known (0 until the first `head()` answers on an empty log). */
  get head(): number {
    return this.#head
  }

  /** Whether the initial `head()` has answered. */
  get ready(): boolean {
    return this.#headKnown
  }

  /** The index behind filters, once one was used. */
  get index(): LogIndex | undefined {
    return this.#index
  }

  /** Starts following the log. */
  start(): void {
    try {
      this.#unsubscribes.push(
        this.store.subscribe({ from: 'end', onError: (err) => this.#fail(err) }, (event) => {
          this.#advance(event.position)
          this.#cache.put(event)
          this.#changed()
        }),
      )
    } catch (err) {
      this.#fail(err)
      return
    }
    this.store.head().then(
      (head) => {
        if (this.#stopped) return
        this.#headKnown = true
        this.#advance(head)
        this.#changed()
      },
      (err: unknown) => this.#fail(err),
    )
  }

  /** Releases the subscriptions, reads and timer; nothing calls back afterwards. */
  stop(): void {
    this.#stopped = true
    this.#cache.stop()
    clearTimeout(this.#timer)
    this.#timer = undefined
    for (const unsubscribe of this.#unsubscribes.splice(0)) void unsubscribe().catch(() => {})
  }

  /** The event at `position`, or undefined while its page loads (the feed then calls back). */
  event(position: number): RecordedEvent | undefined {
    const event = this.#cache.get(position)
    if (event === undefined) this.#cache.request(position)
    return event
  }

  /**
   * The positions to show, ascending. The same array is returned until something changed,
   * because the virtualizer treats a new array as new items.
   */
  positions(filter: LogFilter): number[] {
    const key = `${filter.stream.trim().toLowerCase()}\u0000${filter.type.trim().toLowerCase()}`
    if (key === '\u0000') {
      if (this.#allView.length !== this.#all.length) this.#allView = this.#all.slice()
      return this.#allView
    }
    const index = this.#indexed()
    if (this.#matched?.key !== key) this.#matched = { key, positions: [], upTo: 0, view: [] }
    const matched = this.#matched
    if (matched.upTo < index.size) {
      for (const p of index.match(filter, matched.upTo + 1)) matched.positions.push(p)
      matched.upTo = index.size
    }
    if (matched.view.length !== matched.positions.length) matched.view = matched.positions.slice()
    return matched.view
  }

  #indexed(): LogIndex {
    if (this.#index === undefined) {
      const index = new LogIndex()
      this.#index = index
      if (!this.#stopped) {
        try {
          this.#unsubscribes.push(
            index.start(this.store, { onChange: () => this.#changed(), onError: (e) => this.#fail(e) }),
          )
        } catch (err) {
          this.#fail(err)
        }
      }
    }
    return this.#index
  }

  #advance(head: number): void {
    // The live subscription and the first head() race; positions are gap-free, so the
    // larger answer is the head and every position below it exists.
    for (let p = this.#all.length + 1; p <= head; p++) this.#all.push(p)
    if (head > this.#head) this.#head = head
  }

  #fail(err: unknown): void {
    if (this.#stopped) return
    this.error = errorText(err)
    this.#changed()
  }

  #changed(): void {
    if (this.#stopped || this.#timer !== undefined) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      if (!this.#stopped) this.#onChange()
    }, THROTTLE_MS)
  }
}
