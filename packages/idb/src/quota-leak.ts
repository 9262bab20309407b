import type { RecordedEvent } from '@brook/core'
import { watchAbortCause } from './abort-cause.ts'

/**
 * Removes the rows that Firefox kept of a write transaction aborted for quota.
 *
 * Why: Firefox (measured on 153 ESR) does not always roll back a large readwrite
 * transaction that runs out of quota. The transaction aborts with `QuotaExceededError`
 * (or `UnknownError` after `commit()`), yet a prefix of its rows stays in the database,
 * also after a reload: 29 of 80 rows of 128 KB, in a raw IndexedDB test with no Brook
 * code. Left there, a rejected append would be partly in the log.
 *
 * The rows are Brook's own: the positions it planned, carrying the ids it wrote. They are
 * removed when they are the end of the log. If another context wrote after them (its
 * transaction was waiting for ours), removing them would leave a gap in the positions,
 * so they stay, and the result says so.
 *
 * Reads keys only (the id index, and a count of the rows from the first planned position):
 * the rows of a write that ran out of space are large.
 *
 * @returns how many rows were removed, and how many had to stay
 * @example
 * ```ts
 * const { kept } = await removeQuotaLeak(idb, rows)
 * ```
 */
export function removeQuotaLeak(
  idb: IDBDatabase,
  rows: readonly RecordedEvent[],
): Promise<{ removed: number; kept: number }> {
  const first = rows[0]
  if (first === undefined) return Promise.resolve({ removed: 0, kept: 0 })
  return new Promise((resolve, reject) => {
    const tx = idb.transaction('events', 'readwrite', { durability: 'strict' })
    const cause = watchAbortCause(tx, 'the removal of rows kept after a quota abort')
    const store = tx.objectStore('events')
    const from = IDBKeyRange.lowerBound(first.position)
    let outcome = { removed: 0, kept: 0 }
    tx.oncomplete = () => resolve(outcome)
    tx.onabort = () => reject(cause())
    let kept = 0
    let pending = rows.length + 1
    const settled = () => {
      if (--pending > 0 || kept === 0) return
      // Ours run from `first` with no foreign row among or after them: the end of the log.
      if (kept === total.result) {
        store.delete(from)
        outcome = { removed: kept, kept: 0 }
      } else outcome = { removed: 0, kept }
    }
    const total = store.count(from)
    total.onsuccess = settled
    const byId = store.index('id')
    for (const row of rows) {
      const at = byId.getKey(row.id)
      at.onsuccess = () => {
        if (at.result === row.position) kept += 1
        settled()
      }
    }
  })
}
