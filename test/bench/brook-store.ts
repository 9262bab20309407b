import type { EventStore } from '@brook/core'
import { deleteEventStore, openEventStore } from '@brook/idb'
import type { Appender } from './appender.ts'
import type { Durability } from './cases.ts'
import { EVENT_TYPE, type ItemAdded } from './payload.ts'

/** Brook keeps store `name` in the IndexedDB database `brook:name` (packages/idb/src/database.ts). */
export const brookName = (name: string) => `brook:${name}`

/** Deletes the store and its high-water mark, so the next run may reuse the name. */
export const deleteBrookDatabase = (name: string) => deleteEventStore(name)

export function openBrook(name: string, durability: Durability): Promise<EventStore> {
  return openEventStore(name, { durability })
}

/** Brook through its public API only: each call is one `append`, as an app would write it. */
export async function openBrookAppender(name: string, durability: Durability): Promise<Appender> {
  const store = await openBrook(name, durability)
  return {
    async append(stream: string, events: readonly ItemAdded[]): Promise<void> {
      await store.append(
        stream,
        events.map((data) => ({ type: EVENT_TYPE, data })),
      )
    },
    close: () => store.close(),
  }
}
