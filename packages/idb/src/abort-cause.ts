/**
 * Watches a native transaction for the error that made it abort, and stops request errors
 * bubbling further (the transaction's `onabort` reports them).
 *
 * Why not `tx.error`: once a transaction called `commit()`, the engines disagree on what
 * `tx.error` holds after one of its requests failed. Chromium reports the request's error
 * (`ConstraintError`), Firefox a generic `AbortError` and WebKit `null`. The failing
 * request's own error is the same in all three, and it reaches the transaction as a
 * bubbling `error` event. An abort also fails every request still pending with
 * `AbortError`: those are its effect, not its cause, so they are passed over. Errors with
 * no request behind them (a quota refused at commit time, in Firefox) are only on
 * `tx.error`, so that comes next.
 *
 * Call it before issuing any request, so no error event can be missed.
 *
 * @returns a function giving the cause once the transaction has aborted
 * @example
 * ```ts
 * const cause = watchAbortCause(tx)
 * tx.onabort = () => reject(cause())
 * ```
 */
export function watchAbortCause(tx: IDBTransaction, what = 'the transaction'): () => DOMException {
  let failed: DOMException | null = null
  tx.addEventListener('error', (event) => {
    const error = (event.target as IDBRequest | null)?.error ?? null
    if (error?.name !== 'AbortError') failed ??= error
    event.stopPropagation()
  })
  return () => failed ?? tx.error ?? new DOMException(`${what} was aborted`, 'AbortError')
}
