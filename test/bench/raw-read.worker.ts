// The consumer case's baseline: the same log read with raw IndexedDB inside a dedicated
// worker, as the consumer reads it, in getAll pages of 1,000 (read-log.ts, readPages).
import type { RawWorkerReply, RawWorkerRequest } from './cases.ts'
import { committed, openExisting } from './idb-request.ts'
import { readPages } from './raw-pages.ts'

// The test project types pages (DOM lib); this is the slice of a worker's scope used here.
const scope = self as unknown as {
  postMessage(message: RawWorkerReply): void
  close(): void
  onmessage: ((e: MessageEvent<RawWorkerRequest>) => void) | null
}

scope.onmessage = (e) => {
  void read(e.data.db).then(
    ({ reply, closed }) => {
      scope.postMessage(reply)
      // Ends itself once its connection is really closed: WebKit keeps the connection of a
      // worker terminated while its last transaction was finishing open for good, and the
      // log's deleteDatabase then blocks forever.
      void closed.then(() => scope.close())
    },
    (err: unknown) => scope.postMessage({ error: String(err) }),
  )
}

async function read(name: string): Promise<{ reply: RawWorkerReply; closed: Promise<void> }> {
  const start = performance.now()
  const db = await openExisting(name)
  const opened = performance.now()
  let last: IDBTransaction | undefined
  try {
    const events = await readPages(db, (tx) => (last = tx))
    const reply = { events, openMs: opened - start, readMs: performance.now() - opened }
    // A connection closes once its transactions completed (or aborted: closed all the same).
    return { reply, closed: last === undefined ? Promise.resolve() : committed(last).catch(() => {}) }
  } finally {
    db.close()
  }
}
