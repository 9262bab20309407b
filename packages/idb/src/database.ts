import Dexie, { type Table } from 'dexie'
import { BrookError, newEventId, type RecordedEvent } from '@brook/core'

/** A row of the `events` table: the recorded event itself, keyed by position. */
export type EventRow = RecordedEvent

interface MetaRow {
  key: string
  value: unknown
}

/**
 * The schema version this code writes. Bump it (and add a `version(n)` below, never edit an
 * old one) when the layout changes; older tabs then close and ask for a reload.
 */
export const SCHEMA_VERSION = 1

/**
 * The Dexie database behind a store.
 * - `events`: primary key `position` (assigned by the core planner, not auto-incremented:
 *   docs/decisions/0001); unique `id` (idempotency, across sessions);
 *   unique `[stream+version]` (a second line of defence against a lost-update race).
 * - `meta`: small key/value facts about the replica (its `origin` id).
 */
export class BrookDatabase extends Dexie {
  events!: Table<EventRow, number>
  meta!: Table<MetaRow, string>

  constructor(name: string, durability: 'strict' | 'relaxed') {
    super(`brook:${name}`, { chromeTransactionDurability: durability, cache: 'disabled' })
    this.version(SCHEMA_VERSION).stores({
      events: 'position, &id, &[stream+version]',
      meta: 'key',
    })
  }
}

/**
 * Maps a failure of IndexedDB or Dexie to a {@link BrookError}; BrookErrors pass through.
 *
 * @example
 * ```ts
 * try { await db.open() } catch (err) { throw toBrookError(err) }
 * ```
 */
export function toBrookError(err: unknown): BrookError {
  if (err instanceof BrookError) return err
  const names = errorNames(err)
  const reason = describe(err)
  if (names.includes('QuotaExceededError')) {
    return BrookError.create('STORAGE_FULL', `the browser refused to store more data: ${reason}`, { reason }, err)
  }
  if (names.includes('DatabaseClosedError')) {
    return BrookError.create('STORE_CLOSED', `the store is closed: ${reason}`, { reason }, err)
  }
  if (names.includes('VersionError')) {
    return BrookError.create('APP_OUTDATED', `the database is newer than this code: ${reason}`, { reason }, err)
  }
  return BrookError.create('STORAGE_UNAVAILABLE', `IndexedDB failed: ${reason}`, { reason }, err)
}

// Dexie wraps native errors (`inner`) and transaction aborts (`failures`): look at all.
function errorNames(err: unknown): string[] {
  const names: string[] = []
  let e: unknown = err
  for (let i = 0; i < 5 && typeof e === 'object' && e !== null; i++) {
    const { name, inner } = e as { name?: unknown; inner?: unknown }
    if (typeof name === 'string') names.push(name)
    e = inner
  }
  return names
}

function describe(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const { name, message } = err as { name?: unknown; message?: unknown }
    return `${String(name)}: ${String(message)}`
  }
  return String(err)
}

/**
 * This replica's id: made once per browser profile and database, kept in `meta`.
 *
 * @example
 * ```ts
 * const origin = await loadOrigin(db)
 * ```
 */
export async function loadOrigin(db: BrookDatabase): Promise<string> {
  return db.transaction('rw', db.meta, async () => {
    const row = await db.meta.get('origin')
    if (typeof row?.value === 'string') return row.value
    const origin = newEventId()
    await db.meta.put({ key: 'origin', value: origin })
    return origin
  })
}
