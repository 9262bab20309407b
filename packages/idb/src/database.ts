import Dexie, { type Table } from 'dexie'
import { BrookError, newEventId, type BrookErrorData, type JsonValue, type RecordedEvent } from '@brook/core'

/** A row of the `events` table: the recorded event itself, keyed by position. */
export type EventRow = RecordedEvent

interface MetaRow {
  key: string
  value: unknown
}

/** A consumer's durable position: every event at or below it has been handled. */
export interface CheckpointRow {
  consumer: string
  position: number
  updatedAt: number
}

/** One key of a consumer's state (a projection's read model, a processor's windows). */
export interface StateRow {
  consumer: string
  key: string
  value: JsonValue
}

/** An event a consumer gave up on, kept with the error, to inspect and replay. */
export interface ParkedRow {
  consumer: string
  position: number
  event: RecordedEvent
  error: BrookErrorData
  attempts: number
  parkedAt: number
}

/**
 * The schema version this code writes. Bump it (and add a `version(n)` below, never edit an
 * old one) when the layout changes; older tabs then close and ask for a reload.
 */
export const SCHEMA_VERSION = 2

/**
 * The Dexie database behind a store.
 * - `events`: primary key `position` (assigned by the core planner, not auto-incremented:
 *   docs/decisions/0001); unique `id` (idempotency, across sessions);
 *   unique `[stream+version]` (a second line of defence against a lost-update race).
 * - `meta`: small key/value facts about the replica (its `origin` id).
 * - `checkpoints`, `consumerState`, `parked` (schema 2): per consumer, its position, its
 *   state and its parked events, all written in one transaction per batch.
 */
export class BrookDatabase extends Dexie {
  events!: Table<EventRow, number>
  meta!: Table<MetaRow, string>
  checkpoints!: Table<CheckpointRow, string>
  consumerState!: Table<StateRow, [string, string]>
  parked!: Table<ParkedRow, [string, number]>

  constructor(name: string, durability: 'strict' | 'relaxed') {
    super(`brook:${name}`, { chromeTransactionDurability: durability, cache: 'disabled' })
    this.version(1).stores({
      events: 'position, &id, &[stream+version]',
      meta: 'key',
    })
    this.version(2).stores({
      checkpoints: 'consumer',
      consumerState: '[consumer+key]',
      parked: '[consumer+position]',
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

/** An open database and why it stopped being usable, if it did. */
export interface Connection {
  readonly db: BrookDatabase
  /** Why the connection is closed (by us, another tab's upgrade, or the browser), if it is. */
  closedBecause(): string | undefined
  markClosed(reason: string): void
  /**
   * Rejects with `STORAGE_LOST` once the browser drops the connection. Chromium may leave a
   * transaction that was in flight then without `complete` or `abort` for good (measured,
   * docs/browser-behaviour.md): work that waits on one races this instead of hanging.
   */
  readonly lost: Promise<never>
  /** Throws `STORE_CLOSED` naming `what` and the reason once closed. */
  ensureOpen(what: string): void
  /**
   * Runs `work` if open; maps its failure to a BrookError, and to `STORE_CLOSED` when the
   * connection closed under it (another tab's upgrade, the browser).
   */
  guard<T>(what: string, work: () => Promise<T>): Promise<T>
}

/**
 * Opens the database behind store `name` the way every Brook connection must: refusing a
 * newer schema (`APP_OUTDATED`), giving up on an upgrade that other connections block
 * (`UPGRADE_BLOCKED`), and stepping aside at once when another tab upgrades.
 *
 * @example
 * ```ts
 * const { db, ensureOpen } = await openDatabase('shop', 'strict', 3000)
 * ```
 */
export async function openDatabase(
  name: string,
  durability: 'strict' | 'relaxed',
  timeoutMs: number,
): Promise<Connection> {
  const db = new BrookDatabase(name, durability)
  let closedBecause: string | undefined
  let lost = false
  // Another tab wants a newer schema: step aside at once so it never deadlocks on us.
  db.on('versionchange', () => {
    closedBecause = 'another tab opened a newer version of this database: reload this page'
    db.close()
  })
  let signalLost: (err: BrookError) => void = () => {}
  const lostPromise = new Promise<never>((_, reject) => (signalLost = reject))
  lostPromise.catch(() => {}) // raced by whoever waits on a write; nobody may be
  // Fired when the browser drops the connection (site data cleared, storage evicted).
  db.on('close', () => {
    if (closedBecause !== undefined) return
    closedBecause = 'the browser dropped the database (site data cleared or storage evicted): reopen to check for loss'
    lost = true
    signalLost(BrookError.create('STORAGE_LOST', `${name} is closed: ${closedBecause}`, { reason: closedBecause }))
  })
  await openWithTimeout(db, timeoutMs)
  const ensureOpen = (what: string) => {
    if (closedBecause === undefined) return
    const code = lost ? 'STORAGE_LOST' : 'STORE_CLOSED'
    throw BrookError.create(code, `${what} is closed: ${closedBecause}`, { reason: closedBecause })
  }
  return {
    db,
    closedBecause: () => closedBecause,
    markClosed(reason) {
      closedBecause ??= reason
    },
    ensureOpen,
    lost: lostPromise,
    async guard(what, work) {
      ensureOpen(what)
      try {
        return await Promise.race([work(), lostPromise])
      } catch (err) {
        if (!db.isOpen()) ensureOpen(what)
        throw toBrookError(err)
      }
    },
  }
}

async function openWithTimeout(db: BrookDatabase, timeoutMs: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  let blocked = false
  db.on('blocked', () => {
    blocked = true
  })
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const reason = blocked
        ? `an older version of this database is still open in another tab or worker that does not close it`
        : `opening did not complete within ${timeoutMs} ms (another tab may be frozen while holding it)`
      db.close()
      reject(BrookError.create('UPGRADE_BLOCKED', `cannot open ${db.name}: ${reason}`, { reason }))
    }, timeoutMs)
  })
  try {
    await refuseNewerSchema(db.name)
    await Promise.race([db.open(), timeout])
  } catch (err) {
    throw toBrookError(err)
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Old code must not run against a layout it does not know. Dexie would open a newer
 * database anyway (and even "patch" indexes it misses into it), so look at the installed
 * version first, without opening a connection.
 */
async function refuseNewerSchema(name: string): Promise<void> {
  const installed = (await indexedDB.databases()).find((d) => d.name === name)?.version ?? 0
  // Dexie stores version n as native version n * 10.
  if (installed > SCHEMA_VERSION * 10) {
    const reason = `the database has schema ${installed / 10}, this code knows ${SCHEMA_VERSION}: update the app`
    throw BrookError.create('APP_OUTDATED', `cannot open ${name}: ${reason}`, { reason })
  }
}
