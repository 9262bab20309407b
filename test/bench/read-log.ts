import type { RecordedEvent } from '@brook/core'
import { brookName, openBrook } from './brook-store.ts'
import type { Measurement, ReadImpl } from './cases.ts'
import { committed, openExisting } from './idb-request.ts'
import { EVENT_TYPE, makeDataset } from './payload.ts'
import { readPages } from './raw-pages.ts'

const PREFILL_BATCH = 1000

/**
 * Fills a Brook log with `count` events in batches (relaxed: the fill is not measured).
 * Both raw readers then read this very database, so every reader sees the same rows in the
 * same on-disk layout.
 */
export async function prefill(name: string, count: number): Promise<void> {
  const store = await openBrook(name, 'relaxed')
  const data = makeDataset(count)
  for (let i = 0; i < count; i += PREFILL_BATCH) {
    const events = data.slice(i, i + PREFILL_BATCH).map((d) => ({ type: EVENT_TYPE, data: d }))
    await store.append(`batch-${i / PREFILL_BATCH}`, events)
  }
  await store.close()
}

/** Reads the whole log once and times it; opening and closing are outside the clock. */
export async function readLog(impl: ReadImpl, name: string): Promise<Measurement> {
  if (impl === 'brook') {
    const store = await openBrook(name, 'strict')
    try {
      return await timed(async () => {
        let n = 0
        for await (const _event of store.read()) n += 1
        return n
      })
    } finally {
      await store.close()
    }
  }
  if (impl === 'brook-subscribe') {
    const store = await openBrook(name, 'strict')
    // The last position, read before the clock starts: the subscription is timed until it
    // delivered that event (then it would wait, live, for more).
    const last = await store.head()
    let stop: (() => Promise<void>) | undefined
    try {
      return await timed(
        () =>
          new Promise<number>((resolve, reject) => {
            let n = 0
            stop = store.subscribe({ from: 'start', onError: reject }, (event) => {
              n += 1
              if (event.position === last) resolve(n)
            })
          }),
      )
    } finally {
      await stop?.()
      await store.close()
    }
  }
  const db = await openExisting(brookName(name))
  try {
    return await timed(() => (impl === 'raw-getall' ? readPages(db) : readCursor(db)))
  } finally {
    db.close()
  }
}

async function timed(read: () => Promise<number>): Promise<Measurement> {
  const start = performance.now()
  const events = await read()
  return { events, ms: performance.now() - start }
}

// One cursor over the whole log in one transaction: the other way to scan by hand.
async function readCursor(db: IDBDatabase): Promise<number> {
  const tx = db.transaction('events', 'readonly')
  const done = committed(tx)
  let n = 0
  await new Promise<void>((resolve, reject) => {
    const req = tx.objectStore('events').openCursor()
    req.onerror = () => reject(req.error ?? new Error('cursor failed'))
    req.onsuccess = () => {
      const cursor = req.result
      if (cursor === null) return resolve()
      // Touch the value: getAll and Brook hand over deserialised rows, so must this.
      if ((cursor.value as RecordedEvent | undefined) !== undefined) n += 1
      cursor.continue()
    }
  })
  await done
  return n
}
