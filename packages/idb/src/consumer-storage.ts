import {
  BrookError,
  toPlainJson,
  type BrookErrorData,
  type CommitResult,
  type JsonValue,
  type PreparedEntry,
  type RecordedEvent,
} from '@brook/core'
import { watchAbortCause } from './abort-cause.ts'
import { loadOrigin, openDatabase, type BrookDatabase, type Connection, type ParkedRow } from './database.ts'
import { listState, readCheckpoint, readState } from './state-reader.ts'
import { appendWithin } from './write-transaction.ts'

/** A change to one key of a consumer's state: a value, or `undefined` to delete it. */
export type StateChanges = ReadonlyMap<string, JsonValue | undefined>

/** An event to park in the same commit, with the error that made the consumer give up. */
export interface ParkRequest {
  event: RecordedEvent
  error: BrookErrorData
  attempts: number
}

/** Everything one consumer commit writes besides the checkpoint. */
export interface BatchWrites {
  changes?: StateChanges
  parked?: readonly ParkRequest[]
  /** Parked rows to drop (replayed). */
  unpark?: readonly number[]
  /** Derived events, prepared (`prepareAppend`/`prepareCommit`), appended as one atomic commit. */
  appends?: readonly PreparedEntry[]
}

/**
 * The durable side of one consumer (or one partition of a group) in a store's database:
 * its checkpoint, its state and its parked events.
 */
export interface ConsumerStorage {
  readonly consumer: string
  /** The last position handled (0 before the first batch). */
  checkpoint(): Promise<number>
  /** Reads state keys; absent keys are missing from the map. */
  read(keys: readonly string[]): Promise<Map<string, JsonValue>>
  /** Every state key and value (the first `limit`, when given), in key order. */
  readAll(limit?: number): Promise<Map<string, JsonValue>>
  /**
   * One readwrite transaction: if the checkpoint is still `expected` (else `CONCURRENCY`:
   * another instance moved it; nothing is written), apply the state changes, park and
   * unpark, append the derived events, and set the checkpoint to `next`. This is what
   * makes effects through state, and derived events, exactly-once. Resolves with the
   * append's result when there were appends (and the new head, to announce).
   */
  commit(expected: number, next: number, writes?: BatchWrites): Promise<CommitResult | undefined>
  /**
   * The running instance says it is alive: stamps the checkpoint row's `updatedAt` (relaxed
   * durability: a lost heartbeat costs nothing). Standby instances read it with {@link lastBeat}.
   */
  heartbeat(): Promise<void>
  /** The checkpoint and when the running instance last committed or beat (undefined: never). */
  lastBeat(): Promise<{ position: number; at: number | undefined }>
  parked(): Promise<ParkedRow[]>
  parkedCount(): Promise<number>
  /** Removes parked events (after replaying them, or to give up on them). */
  unpark(positions: readonly number[]): Promise<void>
  /**
   * Moves the checkpoint to `position - 1`; with `clearState`, drops the state too. Parked
   * events at or after `position` are dropped: the replay handles them again.
   */
  reset(position: number, clearState: boolean): Promise<void>
  close(): void
}

/**
 * Opens the consumer storage of `consumer` in store `storeName`'s database (its own
 * connection, with the same upgrade and close handling as the store).
 *
 * @example
 * ```ts
 * const storage = await openConsumerStorage('shop', 'totals')
 * const from = (await storage.checkpoint()) + 1
 * ```
 */
export async function openConsumerStorage(
  storeName: string,
  consumer: string,
  options: { durability?: 'strict' | 'relaxed'; openTimeoutMs?: number } = {},
): Promise<ConsumerStorage> {
  const durability = options.durability ?? 'strict'
  const connection: Connection = await openDatabase(storeName, durability, options.openTimeoutMs ?? 3000)
  const { db } = connection
  const what = `consumer ${consumer}`
  let origin: string | undefined
  const guard = <T>(work: () => Promise<T>): Promise<T> => connection.guard(what, work)
  const range = (table: 'consumerState' | 'parked') => rowsOf(db, table, consumer)

  return {
    consumer,
    checkpoint: () => guard(() => readCheckpoint(db, consumer)),
    read: (keys) => guard(() => readState(db, consumer, keys)),
    readAll: (limit) => guard(async () => new Map(await listState(db, consumer, limit === undefined ? {} : { limit }))),
    commit: (expected, next, writes = {}) =>
      guard(async () => {
        origin ??= await loadOrigin(db)
        const stamp = { time: Date.now(), origin }
        return commitBatch(db.backendDB(), durability, consumer, expected, next, writes, stamp)
      }),
    heartbeat: () =>
      guard(
        () =>
          new Promise<void>((resolve, reject) => {
            const tx = db.backendDB().transaction('checkpoints', 'readwrite', { durability: 'relaxed' })
            const rows = tx.objectStore('checkpoints')
            const read = rows.get(consumer)
            read.onsuccess = () => {
              const row = read.result as { position?: number } | undefined
              rows.put({ consumer, position: row?.position ?? 0, updatedAt: Date.now() })
            }
            const cause = watchAbortCause(tx, 'the heartbeat')
            tx.oncomplete = () => resolve()
            tx.onabort = () => reject(cause())
          }),
      ),
    lastBeat: () =>
      guard(async () => {
        const row = await db.checkpoints.get(consumer)
        return { position: row?.position ?? 0, at: row?.updatedAt }
      }),
    parked: () => guard(async () => (await range('parked').toArray()) as ParkedRow[]),
    parkedCount: () => guard(() => range('parked').count()),
    unpark: (positions) => guard(() => db.parked.bulkDelete(positions.map((p) => [consumer, p] as [string, number]))),
    reset: (position, clearState) =>
      guard(() =>
        db.transaction('rw', [db.checkpoints, db.consumerState, db.parked], async () => {
          if (clearState) await range('consumerState').delete()
          await db.parked.where('[consumer+position]').between([consumer, position], [consumer, Infinity]).delete()
          await db.checkpoints.put({ consumer, position: Math.max(0, position - 1), updatedAt: Date.now() })
        }),
      ),
    close() {
      connection.markClosed('close() was called')
      db.close()
    },
  }
}

// Native transaction, committed explicitly: state, parked rows, derived events and the
// checkpoint together. Nothing app-defined runs inside it (the handler ran before, against
// a buffer), so it cannot be kept open or committed early by an `await`
// (docs/browser-behaviour.md).
function commitBatch(
  idb: IDBDatabase,
  durability: 'strict' | 'relaxed',
  consumer: string,
  expected: number,
  next: number,
  { changes = new Map(), parked = [], unpark = [], appends = [] }: BatchWrites,
  stamp: { time: number; origin: string },
): Promise<CommitResult | undefined> {
  const rows = [...changes].map(([key, value]) => ({
    key,
    value: value === undefined ? undefined : toPlainJson(value, `state.${key}`),
  }))
  const stores = ['checkpoints', 'consumerState', 'parked', ...(appends.length > 0 ? ['events'] : [])]
  return new Promise((resolve, reject) => {
    const tx = idb.transaction(stores, 'readwrite', { durability })
    let refused: Error | undefined
    let appended: CommitResult | undefined
    const cause = watchAbortCause(tx, 'the consumer commit')
    tx.oncomplete = () => resolve(appended)
    tx.onabort = () => reject(refused ?? cause())
    const checkpoints = tx.objectStore('checkpoints')
    const read = checkpoints.get(consumer)
    read.onsuccess = () => {
      const actual = (read.result as { position?: number } | undefined)?.position ?? 0
      if (actual !== expected) {
        refused = BrookError.create(
          'CONCURRENCY',
          `consumer ${consumer} is at ${actual}, expected ${expected}: another instance moved it`,
          { stream: `$consumer:${consumer}`, expected, actual },
        )
        tx.abort()
        return
      }
      const state = tx.objectStore('consumerState')
      for (const { key, value } of rows) {
        if (value === undefined) state.delete([consumer, key])
        else state.put({ consumer, key, value })
      }
      const parkedStore = tx.objectStore('parked')
      for (const p of parked) {
        parkedStore.put({
          consumer,
          position: p.event.position,
          event: p.event,
          error: p.error,
          attempts: p.attempts,
          parkedAt: Date.now(),
        })
      }
      for (const position of unpark) parkedStore.delete([consumer, position])
      checkpoints.put({ consumer, position: next, updatedAt: Date.now() })
      if (appends.length === 0) return tx.commit()
      const fail = (err: unknown) => {
        refused = err instanceof Error ? err : new Error(String(err))
        tx.abort()
      }
      appendWithin(
        tx,
        appends,
        stamp,
        (outcome) => {
          if (!outcome.ok) return fail(outcome.error)
          appended = outcome.result
          tx.commit()
        },
        fail,
      )
    }
  })
}

/**
 * Deletes everything kept for the consumers `ids` (checkpoint, state, parked events), in one
 * transaction. Only for consumers that no instance runs: one running would start again from
 * its first event (its next commit finds the checkpoint moved).
 *
 * @example
 * ```ts
 * await deleteConsumers('shop', ['projection:carts@1', 'projection:carts@1#snapshots'])
 * ```
 */
export async function deleteConsumers(
  storeName: string,
  ids: readonly string[],
  options: { openTimeoutMs?: number } = {},
): Promise<void> {
  const connection = await openDatabase(storeName, 'strict', options.openTimeoutMs ?? 3000)
  const { db } = connection
  try {
    await connection.guard(`consumers ${ids.join(', ')}`, () =>
      db.transaction('rw', [db.checkpoints, db.consumerState, db.parked], async () => {
        await db.checkpoints.bulkDelete([...ids])
        for (const id of ids) {
          await rowsOf(db, 'consumerState', id).delete()
          await rowsOf(db, 'parked', id).delete()
        }
      }),
    )
  } finally {
    connection.markClosed('the deletion is done')
    db.close()
  }
}

/** Every row of `table` that belongs to `consumer` (keys are `[consumer, key or position]`). */
function rowsOf(db: BrookDatabase, table: 'consumerState' | 'parked', consumer: string) {
  return db[table]
    .where(table === 'parked' ? '[consumer+position]' : '[consumer+key]')
    .between([consumer, -Infinity], [consumer, []])
}
