import type { JsonValue } from '@brook/core'
import { openDatabase, type BrookDatabase, type StateRow } from './database.ts'

/** Which keys of a consumer's state to list: in key order, after `after`, under `prefix`. */
export interface StateRange {
  prefix?: string
  /** Exclusive; a full key (prefix included). */
  after?: string
  limit?: number
  /** `'backward'`: last keys first (and `after` counts from the end). */
  direction?: 'forward' | 'backward'
}

/**
 * Read-only access to every consumer's checkpoint and state in a store's database, for the
 * page side of projections and for tools (one connection for all consumers). Writes go
 * through the consumers themselves.
 */
export interface StateReader {
  checkpoint(consumer: string): Promise<number>
  read(consumer: string, keys: readonly string[]): Promise<Map<string, JsonValue>>
  list(consumer: string, range?: StateRange): Promise<[string, JsonValue][]>
  /** The ids of the consumers that have a checkpoint here (committed at least once), under `prefix`. */
  consumers(prefix?: string): Promise<string[]>
  close(): void
}

/**
 * Opens a {@link StateReader} on store `storeName`.
 *
 * @example
 * ```ts
 * const reader = await openStateReader('shop')
 * const carts = await reader.list('projection:carts@1', { prefix: 's:', limit: 20 })
 * reader.close()
 * ```
 */
export async function openStateReader(
  storeName: string,
  options: { openTimeoutMs?: number } = {},
): Promise<StateReader> {
  const connection = await openDatabase(storeName, 'strict', options.openTimeoutMs ?? 3000)
  const { db } = connection
  const guard = <T>(work: () => Promise<T>): Promise<T> => connection.guard(`state of store ${storeName}`, work)
  return {
    checkpoint: (consumer) => guard(() => readCheckpoint(db, consumer)),
    read: (consumer, keys) => guard(() => readState(db, consumer, keys)),
    list: (consumer, range) => guard(() => listState(db, consumer, range)),
    consumers: (prefix = '') => guard(() => db.checkpoints.where('consumer').startsWith(prefix).primaryKeys()),
    close() {
      connection.markClosed('close() was called')
      db.close()
    },
  }
}

// The reads below are shared by every reader of consumer rows (this reader and a
// consumer's own storage), so both see the same layout the same way.

/** A consumer's checkpoint: 0 before its first batch. */
export async function readCheckpoint(db: BrookDatabase, consumer: string): Promise<number> {
  return (await db.checkpoints.get(consumer))?.position ?? 0
}

/** The values of `keys` in a consumer's state; absent keys are missing from the map. */
export async function readState(
  db: BrookDatabase,
  consumer: string,
  keys: readonly string[],
): Promise<Map<string, JsonValue>> {
  const rows = await db.consumerState.bulkGet(keys.map((k) => [consumer, k] as [string, string]))
  return new Map(rows.filter((r): r is StateRow => r !== undefined).map((r) => [r.key, r.value]))
}

/** A consumer's state rows in key order (see {@link StateRange}). */
export async function listState(
  db: BrookDatabase,
  consumer: string,
  { prefix = '', after, limit, direction = 'forward' }: StateRange = {},
): Promise<[string, JsonValue][]> {
  // Keys under `prefix` sort between prefix and prefix + U+FFFF; `after` is exclusive.
  const end = `${prefix}\uffff`
  const forward = direction === 'forward'
  const low = forward && after !== undefined && after > prefix ? after : prefix
  const high = !forward && after !== undefined && after < end ? after : end
  let range = db.consumerState
    .where('[consumer+key]')
    .between([consumer, low], [consumer, high], !(forward && low === after), !(!forward && high === after))
  if (!forward) range = range.reverse()
  const rows = await (limit === undefined ? range : range.limit(limit)).toArray()
  return rows.map((r): [string, JsonValue] => [r.key, r.value])
}
