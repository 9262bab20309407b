import { newEventId, type Position, type RecordedEvent } from '@brook/core'
import type { Appender } from './appender.ts'
import type { Durability } from './cases.ts'
import { committed, deleteDatabase, request } from './idb-request.ts'
import { EVENT_TYPE, type ItemAdded } from './payload.ts'

/** The baseline's database name for a case. */
export const rawName = (name: string) => `raw:${name}`

/**
 * Opens a raw database with Brook's `events` layout (see packages/idb/src/database.ts):
 * primary key `position`, unique `id`, unique compound `[stream+version]`. The same indexes
 * cost the same on every write, so the comparison measures Brook's own overhead only.
 */
export function openRawDatabase(name: string): Promise<IDBDatabase> {
  const req = indexedDB.open(rawName(name), 1)
  req.onupgradeneeded = () => {
    const events = req.result.createObjectStore('events', { keyPath: 'position' })
    events.createIndex('id', 'id', { unique: true })
    events.createIndex('[stream+version]', ['stream', 'version'], { unique: true })
  }
  return request(req)
}

export const deleteRawDatabase = (name: string) => deleteDatabase(rawName(name))

/**
 * The fastest correct thing an app could do by hand: positions and versions counted in
 * memory (so no reads in the write transaction, unlike Brook, which must see other tabs'
 * writes), rows shaped exactly like Brook's RecordedEvent, ids from the same UUIDv7 generator.
 */
export async function openRawAppender(name: string, durability: Durability): Promise<Appender> {
  const db = await openRawDatabase(name)
  const origin = newEventId()
  const versions = new Map<string, number>()
  let head = 0
  return {
    async append(stream: string, events: readonly ItemAdded[]): Promise<void> {
      const tx = db.transaction('events', 'readwrite', { durability })
      const store = tx.objectStore('events')
      let version = versions.get(stream) ?? 0
      const time = Date.now()
      for (const data of events) {
        version += 1
        head += 1
        store.add(makeRow(stream, version, head, data, time, origin))
      }
      versions.set(stream, version)
      // Nothing else will be queued: commit now rather than wait for auto-commit.
      tx.commit()
      await committed(tx)
    },
    close() {
      db.close()
      return Promise.resolve()
    },
  }
}

/** A row exactly as Brook stores a recorded event (packages/core/src/plan.ts). */
export function makeRow(
  stream: string,
  version: number,
  position: number,
  data: ItemAdded,
  time: number,
  origin: string,
): RecordedEvent {
  return {
    id: newEventId(),
    stream,
    version,
    position: position as Position,
    type: EVENT_TYPE,
    data,
    meta: {},
    time,
    origin,
  }
}
