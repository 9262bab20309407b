import type { RecordedEvent } from '@brook/core'
import { request } from './idb-request.ts'

// Raw pages are as large as Brook's (packages/idb/src/store.ts), each in its own short
// transaction as Brook's are, so both read under the same rules.
const RAW_PAGE = 1000

/**
 * Reads a whole Brook log (its `events` object store) in getAll pages of 1,000 and counts
 * the events. A module of its own, so the raw worker (raw-read.worker.ts) loads nothing else.
 * `onTransaction` sees each page's transaction (the worker waits for the last to complete).
 */
export async function readPages(db: IDBDatabase, onTransaction?: (tx: IDBTransaction) => void): Promise<number> {
  let n = 0
  let from = 1
  for (;;) {
    const tx = db.transaction('events', 'readonly')
    onTransaction?.(tx)
    const page = (await request(
      tx.objectStore('events').getAll(IDBKeyRange.lowerBound(from), RAW_PAGE),
    )) as RecordedEvent[]
    for (const _event of page) n += 1
    const last = page[page.length - 1]
    if (page.length < RAW_PAGE || last === undefined) return n
    from = last.position + 1
  }
}
