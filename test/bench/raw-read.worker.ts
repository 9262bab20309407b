// The consumer case's baseline: the same log read with raw IndexedDB inside a dedicated
// worker, as the consumer reads it, in getAll pages of 1,000 (read-log.ts, readPages).
import type { RawWorkerReply, RawWorkerRequest } from './cases.ts'
import { openExisting } from './idb-request.ts'
import { readPages } from './raw-pages.ts'

// The test project types pages (DOM lib); this is the slice of a worker's scope used here.
const scope = self as unknown as {
  postMessage(message: RawWorkerReply): void
  onmessage: ((e: MessageEvent<RawWorkerRequest>) => void) | null
}

scope.onmessage = (e) => {
  void read(e.data.db).then(
    (reply) => scope.postMessage(reply),
    (err: unknown) => scope.postMessage({ error: String(err) }),
  )
}

async function read(name: string): Promise<RawWorkerReply> {
  const start = performance.now()
  const db = await openExisting(name)
  const opened = performance.now()
  try {
    const events = await readPages(db)
    return { events, openMs: opened - start, readMs: performance.now() - opened }
  } finally {
    db.close()
  }
}
