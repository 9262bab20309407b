import * as v from 'valibot'
import Dexie from 'dexie'
import {
  BrookError,
  Limits,
  newEventId,
  parse,
  parseReadOptions,
  parseReadStreamOptions,
  parseStream,
  Position,
  prepareAppend,
  prepareCommit,
  StoreOptionEntries,
  createWake,
  startSubscription,
  type AppendResult,
  type ReadOptions,
  type Stop,
  type EventStore,
  type ParsedRead,
  type RecordedEvent,
} from '@brook/core'
import { createBus } from '@brook/bus'
import { loadOrigin, openDatabase, toBrookError, type BrookDatabase } from './database.ts'
import { createGroupCommit } from './group-commit.ts'
import { createMarkWriter, forgetMark, readMark, writeMark, type HighWaterMark } from './high-water.ts'

export interface OpenEventStoreOptions {
  /**
   * `'strict'` (default): an append resolves only after IndexedDB flushed it to disk.
   * `'relaxed'`: it resolves once committed in memory; a power loss or OS crash may lose the
   * last appends. See the README's "Durability" for the measured cost.
   */
  durability?: 'strict' | 'relaxed'
  /** Largest accepted event (type + data + meta as UTF-8 JSON). Default 1 MiB. */
  maxEventBytes?: number
  /** The recorder's clock, in ms. Default `Date.now`. */
  now?: () => number
  /** This replica's id. Default: one made on first open and kept in the database. */
  origin?: string
  /**
   * How often a waiting subscription re-checks the log when no notice arrives (notices
   * between tabs are hints: a tab closing mid-broadcast can drop one). Default 1000 ms.
   */
  pollMs?: number
  /**
   * How long to wait for other connections (older tabs) to release the database when this
   * code needs a schema upgrade, before rejecting with `UPGRADE_BLOCKED`. Default 3000 ms.
   */
  openTimeoutMs?: number
  /**
   * Open even if the log is behind its high-water mark (`LOG_REGRESSED`), e.g. to resync it
   * from a server; the mark is reset to the log as it is.
   */
  acceptRegression?: boolean
}

const OptionsSchema = v.strictObject({
  durability: v.optional(v.picklist(['strict', 'relaxed'])),
  openTimeoutMs: v.optional(v.pipe(v.number(), v.minValue(0))),
  pollMs: v.optional(v.pipe(v.number(), v.minValue(10))),
  acceptRegression: v.optional(v.boolean()),
  ...StoreOptionEntries,
})

// Events per read transaction: large enough for getAll to amortise, small enough to stay
// responsive and bounded in memory.
const PAGE = 1000

/**
 * Opens (creating if needed) the durable event store `name` in this origin's IndexedDB.
 * Every tab and worker of the origin that opens the same name shares one log.
 *
 * @example
 * ```ts
 * import { openEventStore } from '@brook/idb'
 * const store = await openEventStore('shop')
 * const { position } = await store.append('cart-1', [{ type: 'ItemAdded', data: { sku: 'a1' } }])
 * await store.close()
 * ```
 */
export async function openEventStore(name: string, options: OpenEventStoreOptions = {}): Promise<EventStore> {
  const storeName = parse(v.pipe(v.string(), v.minLength(1), v.maxLength(200)), name, 'name')
  const opts = parse(OptionsSchema, options, 'options')
  const maxEventBytes = opts.maxEventBytes ?? Limits.maxEventBytes
  const now = opts.now ?? Date.now
  const connection = await openDatabase(storeName, opts.durability ?? 'strict', opts.openTimeoutMs ?? 3000)
  const { db } = connection
  let origin: string
  try {
    origin = opts.origin ?? (await loadOrigin(db))
  } catch (err) {
    db.close()
    throw toBrookError(err)
  }
  try {
    await checkMark(db, storeName, opts.acceptRegression === true)
  } catch (err) {
    db.close()
    throw toBrookError(err)
  }
  const marks = createMarkWriter(storeName)
  // Wakes this context's subscriptions: on its own commits, on other contexts' notices,
  // and (in `subscribe`) on a slow poll, the safety net for lost notices.
  const wake = createWake()
  const bus = createBus(storeName)
  bus.onHead(() => wake.bump())
  const writer = createGroupCommit(
    connection,
    opts.durability ?? 'strict',
    () => ({ time: now(), origin }),
    (last) => {
      wake.bump()
      bus.announceHead(last.head)
      marks.committed(last)
    },
  )
  const pollMs = opts.pollMs ?? 1000
  let closing: Promise<void> | undefined

  const ensureOpen = () => connection.ensureOpen(`store ${storeName}`)
  const guard = <T>(work: () => Promise<T>): Promise<T> => connection.guard(`store ${storeName}`, work)

  const store: EventStore = {
    name: storeName,
    async append(stream, events, appendOptions): Promise<AppendResult> {
      ensureOpen()
      const entries = prepareAppend(stream, events, appendOptions, maxEventBytes, newEventId)
      const { results } = await writer.submit(entries)
      return results[0] as AppendResult
    },
    async commit(entries) {
      ensureOpen()
      return writer.submit(prepareCommit(entries, maxEventBytes, newEventId))
    },
    read(readOptions) {
      ensureOpen()
      const o = parseReadOptions(readOptions)
      return pages(
        o,
        async (from, forward, count) => {
          const range = forward ? db.events.where(':id').aboveOrEqual(from) : db.events.where(':id').belowOrEqual(from)
          return guard(() => (forward ? range : range.reverse()).limit(count).toArray())
        },
        (e) => e.position,
      )
    },
    readStream(stream, readOptions) {
      ensureOpen()
      const o = parseReadStreamOptions(stream, readOptions)
      return pages(
        o,
        async (from, forward, count) => {
          const range = forward
            ? db.events.where('[stream+version]').between([o.stream, from], [o.stream, Dexie.maxKey])
            : db.events.where('[stream+version]').between([o.stream, Dexie.minKey], [o.stream, from], true, true)
          return guard(() => (forward ? range : range.reverse()).limit(count).toArray())
        },
        (e) => e.version,
      )
    },
    head: () => guard(async () => Position.of(await lastPosition(db))),
    streamVersion(stream) {
      const s = parseStream(stream)
      return guard(() => lastVersion(db, s))
    },
    subscribe(subscribeOptions, handler) {
      ensureOpen()
      const source = {
        read: (o: ReadOptions) => store.read(o),
        head: () => store.head(),
        seq: wake.seq,
        wait: (seen: number, stop: Stop) => wake.wait(seen, stop, pollMs),
      }
      return startSubscription(source, subscribeOptions, handler)
    },
    close() {
      // One close for every caller; it also runs when the connection was already closed
      // by another tab's upgrade, so the channel and listeners are always released.
      closing ??= (async () => {
        connection.markClosed('close() was called')
        await writer.idle()
        await marks.settle()
        bus.close()
        db.close()
        wake.bump()
      })()
      return closing
    },
  }
  return store
}

/**
 * Compares the log with its high-water mark: the event the mark names must still be there.
 * Throws `LOG_REGRESSED` otherwise (unless accepted, which resets the mark to the log).
 */
async function checkMark(db: BrookDatabase, storeName: string, accept: boolean): Promise<void> {
  const resetMark = async (head: number) => {
    const last = head === 0 ? undefined : await db.events.get(head)
    await writeMark(storeName, { head, id: last?.id ?? '' })
  }
  let mark: HighWaterMark | undefined
  try {
    mark = await readMark(storeName)
  } catch (err) {
    // Accepting opens whatever the log is: a mark that cannot be read is written anew.
    if (!accept) throw err
    return resetMark(await lastPosition(db))
  }
  if (mark === undefined || mark.head === 0) return
  const [at, head] = await Promise.all([db.events.get(mark.head), lastPosition(db)])
  if (at?.id === mark.id) return
  if (accept) return resetMark(head)
  const reason =
    at === undefined
      ? `the log ends at ${head}, but this origin had committed up to ${mark.head}: storage was cleared, evicted or lost writes`
      : `the event at ${mark.head} is not the one this origin committed there: the log was replaced`
  throw BrookError.create('LOG_REGRESSED', `store ${storeName}: ${reason}`, {
    expected: mark.head,
    actual: head,
    reason,
  })
}

/** The position of the log's last event (0 for an empty log). */
async function lastPosition(db: BrookDatabase): Promise<number> {
  return ((await db.events.orderBy(':id').lastKey()) as number | undefined) ?? 0
}

/**
 * Iterates a log or stream page by page, each page in its own short read transaction (a
 * long-lived transaction would block writers in every tab). Commits are atomic, so each
 * page shows the log as of one moment: a prefix to which later pages only add.
 */
async function* pages(
  o: ParsedRead,
  fetch: (from: number, forward: boolean, count: number) => Promise<RecordedEvent[]>,
  key: (e: RecordedEvent) => number,
): AsyncGenerator<RecordedEvent> {
  const forward = o.direction === 'forward'
  let from = o.from ?? (forward ? 1 : Number.MAX_SAFE_INTEGER)
  let left = o.limit
  while (left > 0 && from >= 1) {
    const count = o.types === undefined ? Math.min(left, PAGE) : PAGE
    const page = await fetch(from, forward, count)
    for (const e of page) {
      if (o.types !== undefined && !o.types.has(e.type)) continue
      yield e
      if (--left === 0) return
    }
    const last = page[page.length - 1]
    if (page.length < count || last === undefined) return
    from = key(last) + (forward ? 1 : -1)
  }
}

/**
 * The stream's version (0 when absent), read from the unique `[stream+version]` index.
 *
 * @example
 * ```ts
 * await lastVersion(db, 'cart-1') // 3
 * ```
 */
export async function lastVersion(db: BrookDatabase, stream: string): Promise<number> {
  const key = await db.events
    .where('[stream+version]')
    .between([stream, Dexie.minKey], [stream, Dexie.maxKey])
    .lastKey()
  return Array.isArray(key) ? (key as unknown as [string, number])[1] : 0
}

/**
 * Deletes store `name` on purpose: its database (every event, checkpoint and consumer
 * state) and its high-water mark, so that opening it again starts a new, empty log instead
 * of reporting `LOG_REGRESSED`. Every connection to it (in any tab) is closed first by the
 * browser; it resolves once the database is gone.
 *
 * @example
 * ```ts
 * await store.close()
 * await deleteEventStore('shop')
 * ```
 */
export async function deleteEventStore(name: string): Promise<void> {
  const storeName = parse(v.pipe(v.string(), v.minLength(1), v.maxLength(200)), name, 'name')
  await new Promise<void>((resolve, reject) => {
    const req = indexedDB.deleteDatabase(`brook:${storeName}`)
    req.onsuccess = () => resolve()
    req.onerror = () => reject(toBrookError(req.error))
  })
  await forgetMark(storeName)
}
