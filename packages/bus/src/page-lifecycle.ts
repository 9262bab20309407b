/**
 * Calls `enter` when the page goes into the back/forward cache and `leave` when it comes
 * back from it; returns the cleanup. Does nothing outside a page (workers, Node).
 *
 * Why it matters: a cached page keeps its Web Locks and its workers' locks, starving
 * every other tab (docs/browser-behaviour.md), and a BroadcastChannel message arriving while it is
 * cached evicts it. Code holding such resources lets go on `enter` and takes them up again
 * on `leave`.
 *
 * @example
 * ```ts
 * const stop = onBackForwardCache({ enter: () => channel.close(), leave: () => reopen() })
 * ```
 */
export function onBackForwardCache(handlers: { enter(): void; leave(): void }): () => void {
  if (typeof window === 'undefined' || typeof window.addEventListener !== 'function') return () => {}
  const hide = (e: PageTransitionEvent) => {
    if (e.persisted) handlers.enter()
  }
  const show = (e: PageTransitionEvent) => {
    if (e.persisted) handlers.leave()
  }
  window.addEventListener('pagehide', hide)
  window.addEventListener('pageshow', show)
  return () => {
    window.removeEventListener('pagehide', hide)
    window.removeEventListener('pageshow', show)
  }
}

/**
 * Calls `enter` when the page is frozen (Page Lifecycle `freeze`: a background tab the
 * browser suspends, or a page about to enter the back/forward cache) and `leave` on
 * `resume`; returns the cleanup. A frozen page keeps its Web Locks (docs/browser-behaviour.md), so
 * lock holders let go on `enter`.
 *
 * @example
 * ```ts
 * const stop = onFreeze({ enter: () => void lease.release(), leave: () => requestAgain() })
 * ```
 */
export function onFreeze(handlers: { enter(): void; leave(): void }): () => void {
  if (typeof document === 'undefined' || typeof document.addEventListener !== 'function') return () => {}
  const freeze = () => handlers.enter()
  const resume = () => handlers.leave()
  document.addEventListener('freeze', freeze)
  document.addEventListener('resume', resume)
  return () => {
    document.removeEventListener('freeze', freeze)
    document.removeEventListener('resume', resume)
  }
}
