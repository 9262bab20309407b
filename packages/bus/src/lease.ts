import { BrookError } from '@brook/core'
import { onBackForwardCache } from './page-lifecycle.ts'

export interface LeaseCallbacks {
  /**
   * This context now holds the lease. `signal` aborts when it stops holding it (released,
   * or the page went into the back/forward cache); stop the leased work then.
   */
  onAcquired(signal: AbortSignal): void
}

/** A request for a lease: held now or waiting in line. */
export interface Lease {
  /** Does this context hold the lease right now? */
  readonly held: boolean
  /** Gives the lease up (or leaves the queue). Resolves once the lock is free of us. */
  release(): Promise<void>
}

/**
 * "Exactly one holder across the origin": a Web Lock named `brook:lease:<name>`, held until
 * `release()`, handed to the next waiter when the holder releases, closes or crashes.
 *
 * A page entering the back/forward cache keeps its locks and would starve every waiter
 * (measured: 90 s and more, RELIABILITY.md §2), so a page releases on `pagehide` and queues
 * again on `pageshow`, instead of assuming it still leads.
 *
 * @example
 * ```ts
 * const lease = holdLease('consumer:totals', {
 *   onAcquired(signal) { startWork(signal) },
 * })
 * // later
 * await lease.release()
 * ```
 */
export function holdLease(name: string, callbacks: LeaseCallbacks): Lease {
  const locks = globalThis.navigator?.locks
  if (locks === undefined) {
    const reason = 'the Web Locks API is not available (it needs a secure context)'
    throw BrookError.create('STORAGE_UNAVAILABLE', `cannot hold lease ${name}: ${reason}`, { reason })
  }
  let released = false
  let held = false
  let current: { abort: AbortController; free: () => void; done: Promise<unknown> } | undefined

  const request = () => {
    const abort = new AbortController()
    let free = () => {}
    const hold = new Promise<void>((resolve) => {
      free = resolve
    })
    const done = locks
      .request(`brook:lease:${name}`, { signal: abort.signal }, async () => {
        held = true
        try {
          callbacks.onAcquired(abort.signal)
          await hold
        } finally {
          held = false
        }
      })
      .catch((err: unknown) => {
        // Leaving the queue before getting the lock rejects with AbortError: expected.
        if (!(err instanceof DOMException && err.name === 'AbortError')) throw err
      })
    current = { abort, free, done }
  }

  const drop = async () => {
    const c = current
    current = undefined
    if (c === undefined) return
    c.abort.abort()
    c.free()
    await c.done
  }

  const leaveCache = onBackForwardCache({
    enter: () => void drop(),
    leave() {
      if (!released && current === undefined) request()
    },
  })
  request()

  return {
    get held() {
      return held
    },
    async release() {
      if (released) return
      released = true
      leaveCache()
      await drop()
    },
  }
}
