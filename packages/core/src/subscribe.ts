import * as v from 'valibot'
import { BrookError } from './errors.ts'
import type { EventFilter, EventHandler, ReadOptions, RecordedEvent, SubscribeOptions, Unsubscribe } from './types.ts'
import { parse } from './validation.ts'

/**
 * Events read per step of a subscription. While catching up, the next page is read while
 * this one is handled, so at most two pages are held in memory.
 */
const PAGE = 1000

/** The shape of an {@link EventFilter}, strict: a misspelt key is an error. */
export const EventFilterSchema = v.strictObject({
  types: v.optional(v.array(v.string())),
  streams: v.optional(v.array(v.string())),
})

/**
 * A predicate for `filter` (absent fields match everything).
 *
 * @example
 * ```ts
 * const wanted = matchesFilter({ types: ['ItemAdded'] })
 * wanted(event) // true for ItemAdded events
 * ```
 */
export function matchesFilter(filter: EventFilter | undefined): (e: RecordedEvent) => boolean {
  const types = filter?.types === undefined ? undefined : new Set(filter.types)
  const streams = filter?.streams === undefined ? undefined : new Set(filter.streams)
  return (e) => (types === undefined || types.has(e.type)) && (streams === undefined || streams.has(e.stream))
}

const SubscribeOptionsSchema = v.strictObject({
  from: v.optional(v.union([v.pipe(v.number(), v.safeInteger(), v.minValue(1)), v.picklist(['start', 'end'])])),
  filter: v.optional(EventFilterSchema),
  onError: v.optional(v.custom<(e: BrookError) => void>((f) => typeof f === 'function', 'must be a function')),
})

/** A one-way "stop" flag that sleepers can listen to (AbortController is not in every lib). */
export interface Stop {
  readonly stopped: boolean
  /** Calls `callback` on stop (at once if stopped); returns a function that forgets it. */
  onStop(callback: () => void): () => void
}

function createStop(): Stop & { stop(): void } {
  let stopped = false
  let callbacks: (() => void)[] = []
  return {
    get stopped() {
      return stopped
    },
    stop() {
      stopped = true
      const run = callbacks
      callbacks = []
      for (const c of run) c()
    },
    onStop(callback) {
      if (stopped) {
        callback()
        return () => {}
      }
      callbacks.push(callback)
      return () => {
        callbacks = callbacks.filter((c) => c !== callback)
      }
    },
  }
}

/**
 * A change counter a subscription can sleep on: `bump()` when the log may have advanced
 * (a local append, a notice from another tab, a poll); `wait(seen)` resolves once the
 * counter moved past `seen`, so a bump between reading and sleeping is never missed.
 *
 * @example
 * ```ts
 * const wake = createWake()
 * const seen = wake.seq()
 * // ... read ...
 * await wake.wait(seen, stop)
 * ```
 */
export function createWake() {
  let seq = 0
  const waiters = new Set<() => void>()
  return {
    seq: () => seq,
    bump() {
      seq += 1
      for (const w of [...waiters]) w()
    },
    /** Resolves when bumped past `seen`, when `stop` fires, or after `timeoutMs` (a poll). */
    wait(seen: number, stop: Stop, timeoutMs?: number): Promise<void> {
      if (seq !== seen || stop.stopped) return Promise.resolve()
      return new Promise<void>((resolve) => {
        const timer = timeoutMs === undefined ? undefined : setTimeout(() => wake(), timeoutMs)
        const forget = stop.onStop(() => wake())
        // Every way out removes every registration: a long idle subscription holds one.
        function wake() {
          waiters.delete(wake)
          forget()
          if (timer !== undefined) clearTimeout(timer)
          resolve()
        }
        waiters.add(wake)
      })
    },
  }
}

export type Wake = ReturnType<typeof createWake>

/** What a store lends a subscription. */
export interface SubscriptionSource {
  read(options: ReadOptions): AsyncIterable<RecordedEvent>
  head(): Promise<number>
  seq(): number
  /** Sleeps until the log may have advanced past what was seen at `seq`, or `stop` fires. */
  wait(seq: number, stop: Stop): Promise<void>
}

/**
 * Runs one subscription over a store: catch-up from `from`, then live. Shared by every
 * store so they all deliver the same way: exactly once, in position order, no gaps
 * (the cursor only moves past an event after the handler settled).
 *
 * @example
 * ```ts
 * subscribe(options, handler) { return startSubscription(source, options, handler) }
 * ```
 */
export function startSubscription(
  source: SubscriptionSource,
  options: SubscribeOptions,
  handler: EventHandler,
): Unsubscribe {
  const o = parse(SubscribeOptionsSchema, options, 'options')
  if (typeof handler !== 'function') {
    throw BrookError.create('VALIDATION', 'handler: must be a function', {
      path: 'handler',
      reason: 'must be a function',
    })
  }
  const matches = matchesFilter(options.filter) // validated just above
  const stop = createStop()
  let inHandler = false

  const run = async () => {
    let next = o.from === 'end' ? (await source.head()) + 1 : o.from === 'start' || o.from === undefined ? 1 : o.from
    // Each read remembers the change counter from before it began: a bump after that may
    // not be in the page, so it must cut the next sleep short.
    const readPage = (from: number) => {
      const seen = source.seq()
      const page = (async () => {
        const events: RecordedEvent[] = []
        for await (const e of source.read({ from, limit: PAGE })) events.push(e)
        return events
      })()
      page.catch(() => {}) // awaited below; this only keeps an abandoned read-ahead quiet
      return { seen, page }
    }
    let ahead: ReturnType<typeof readPage> | undefined
    while (!stop.stopped) {
      const { seen, page } = ahead ?? readPage(next)
      const events = await page
      const last = events[events.length - 1]
      // A full page means more may follow: read it while this one is handled (catch-up).
      ahead = events.length === PAGE && last !== undefined ? readPage(last.position + 1) : undefined
      // Unfiltered pages: the cursor must pass filtered-out events too.
      for (const e of events) {
        if (stop.stopped) return
        if (matches(e)) {
          try {
            inHandler = true
            await handler(e)
          } catch (err) {
            const reason = err instanceof Error ? err.message : String(err)
            throw BrookError.create(
              'HANDLER_FAILED',
              `subscriber failed on event ${e.position}: ${reason}`,
              { reason, where: `position ${e.position}` },
              err,
            )
          } finally {
            inHandler = false
          }
        }
        next = e.position + 1
      }
      if (events.length < PAGE) await source.wait(seen, stop)
    }
  }

  const done = run().catch((err: unknown) => {
    if (stop.stopped) return
    const error =
      err instanceof BrookError
        ? err
        : BrookError.create('STORAGE_UNAVAILABLE', String(err), { reason: String(err) }, err)
    if (o.onError !== undefined) o.onError(error)
    // A subscription ending with its store is not news; anything else must not vanish.
    else if (error.code !== 'STORE_CLOSED') {
      queueMicrotask(() => {
        throw error
      })
    }
  })

  return async () => {
    stop.stop()
    // Called from inside the handler: waiting for the loop would wait for ourselves.
    if (inHandler) return
    await done
  }
}
