import { BrookError } from '@brook/core'
import { onBackForwardCache, onFreeze } from './page-lifecycle.ts'

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
  /**
   * Takes the lease from its holder at once (Web Locks `steal`): for a holder known to be
   * stuck (frozen, hung). The old holder's `signal` aborts when it runs again; work it
   * finishes anyway must be fenced (Brook's consumers are, by their checkpoint).
   */
  steal(): void
}

/**
 * "Exactly one holder across the origin": a Web Lock named `brook:lease:<name>`, held until
 * `release()`, handed to the next waiter when the holder releases, closes or crashes.
 *
 * A page entering the back/forward cache keeps its locks and would starve every waiter
 * (measured: 90 s and more; docs/browser-behaviour.md), so a page releases on `pagehide` and queues
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
  let current: { abort: AbortController; free: () => void; done: Promise<unknown>; steal: boolean } | undefined

  const request = (steal = false) => {
    const abort = new AbortController()
    let free = () => {}
    const hold = new Promise<void>((resolve) => {
      free = resolve
    })
    let got = false
    // `steal` cannot be combined with `signal` (Web Locks): a stealing request is never queued.
    const options: LockOptions = steal ? { steal: true } : { signal: abort.signal }
    const done = locks
      .request(lockName(name), options, async () => {
        // Given up before the grant arrived (a `steal` request cannot be withdrawn): pass it on.
        if (abort.signal.aborted) return
        got = true
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
        // Stolen while held: stop the holder's work and queue again.
        if (got && current?.abort === abort) {
          current = undefined
          abort.abort()
          free()
          if (!released) request()
        }
      })
    current = { abort, free, done, steal }
  }

  const drop = async () => {
    const c = current
    current = undefined
    if (c === undefined) return
    c.abort.abort()
    c.free()
    await c.done
  }

  // Cached or frozen, a page keeps its locks and starves every waiter: let go, ask again after.
  const suspend = {
    enter: () => void drop(),
    leave() {
      if (!released && current === undefined) request()
    },
  }
  const stopCache = onBackForwardCache(suspend)
  const stopFreeze = onFreeze(suspend)
  const leaveCache = () => {
    stopCache()
    stopFreeze()
  }
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
    steal() {
      // Held, or a steal already on its way: one is enough.
      if (released || held || current?.steal === true) return
      void drop()
      request(true)
    },
  }
}

/**
 * Whether any context of the origin holds lease `name` or waits for it (Web Locks `query`).
 * A snapshot: it may change right after.
 *
 * @example
 * ```ts
 * if (!(await leaseInUse('shop:projection:carts@1'))) await dropOldRows()
 * ```
 */
export async function leaseInUse(name: string): Promise<boolean> {
  const locks = globalThis.navigator?.locks
  if (locks === undefined) return false
  const { held = [], pending = [] } = await locks.query()
  return [...held, ...pending].some((l) => l.name === lockName(name))
}

const lockName = (lease: string) => `brook:lease:${lease}`
