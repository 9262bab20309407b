/**
 * Calls `enter` when the page goes into the back/forward cache and `leave` when it comes
 * back from it; returns the cleanup. Does nothing outside a page (workers, Node).
 *
 * Why it matters: a cached page keeps its Web Locks and its workers' locks, starving
 * every other tab (RELIABILITY.md §2), and a BroadcastChannel message arriving while it is
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
