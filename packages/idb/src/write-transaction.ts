import {
  planCommit,
  type BrookError,
  type CommitResult,
  type LogState,
  type PreparedEntry,
  type RecordedEvent,
} from '@brook/core'
import { watchAbortCause } from './abort-cause.ts'
import { removeQuotaLeak } from './quota-leak.ts'

/** One caller's outcome inside a group. */
export type Settle = { ok: true; result: CommitResult } | { ok: false; error: BrookError }

/**
 * What this context last knew of the log when its own transaction committed. Valid only
 * while the log's head is still `head`: the log is append-only, so an unchanged head means
 * no other tab or worker wrote since, and these versions are exact.
 */
export interface WriterCache {
  head: number
  versions: Map<string, number>
}

// Beyond this many cached streams, start over rather than grow without bound.
const MAX_CACHED_STREAMS = 10_000

const streamRange = (stream: string) => IDBKeyRange.bound([stream, -Infinity], [stream, Infinity])

/**
 * Plans and writes a group of commits in ONE native readwrite transaction, with as few
 * round trips as correctness allows (docs/decisions/0004).
 *
 * With a cache that covers every stream of the group and no caller-supplied ids: plan from
 * the cache; if every commit writes, add and commit at once (a foreign write since the
 * cache makes the first add collide on its position); else commit only once the head
 * proves the cache exact. A stale cache resolves `{ stale: true }`, nothing written.
 * Otherwise:
 * 1. in parallel: the head (one key cursor), the versions of streams not in `cache`, and
 *    the recorded events whose ids callers supplied;
 * 2. only if the head moved since `cache` (another context wrote): the cached streams'
 *    versions again;
 * 3. plan every commit in call order, `add` all rows, `commit()` at once instead of
 *    waiting for auto-commit.
 * Readwrite transactions on `events` are serialised across the origin, so nothing read
 * here can change before the rows are written.
 *
 * Resolves with each caller's outcome and the cache to use next; rejects with the
 * transaction's error (nothing was written).
 */
export function writeGroup(
  idb: IDBDatabase,
  durability: 'strict' | 'relaxed',
  groups: readonly PreparedEntry[][],
  cache: WriterCache | undefined,
  stamp: { time: number; origin: string },
): Promise<
  { outcomes: Settle[]; cache: WriterCache; last: { head: number; id: string } | undefined } | { stale: true }
> {
  return new Promise((resolve, reject) => {
    const tx = idb.transaction('events', 'readwrite', { durability })
    const store = tx.objectStore('events')
    const byStream = store.index('[stream+version]')
    const state: LogState = { head: 0, versions: new Map(), byId: new Map() }
    let outcomes: Settle[] = []
    let valid = false
    let last: { head: number; id: string } | undefined

    tx.oncomplete = () => {
      const versions =
        valid && cache !== undefined && cache.versions.size < MAX_CACHED_STREAMS
          ? cache.versions
          : new Map<string, number>()
      for (const [s, version] of state.versions) versions.set(s, version)
      resolve({ outcomes, cache: { head: state.head, versions }, last })
    }
    let stale = false
    let collisionMeansStale = false
    // A failed request aborts the transaction; `onabort` reports it, with the request's
    // error: `tx.error` after `commit()` differs by engine (see abort-cause.ts).
    const cause = watchAbortCause(tx, 'the write transaction')
    let attempted: readonly RecordedEvent[] = []
    tx.onabort = () => {
      const error = cause()
      if (stale || (collisionMeansStale && error.name === 'ConstraintError')) resolve({ stale: true })
      else if (error.name === 'QuotaExceededError' && attempted.length > 0) {
        // Firefox may have kept part of this aborted transaction: remove it first.
        removeQuotaLeak(idb, attempted).then(
          ({ kept }) => reject(kept === 0 ? error : keptAfterQuota(error, kept)),
          () => reject(error),
        )
      } else reject(error)
    }

    const fail = (err: unknown) => {
      try {
        tx.abort()
      } catch {
        // Already finished or aborting: onabort/oncomplete settles the promise.
      }
      reject(err instanceof Error ? err : new Error(String(err)))
    }

    const reads = (issue: (track: Track) => void, then: () => void) => trackAll(issue, then, fail)
    const readVersion = (track: Track, s: string) => readStreamVersion(byStream, state, track, s)

    const streams = new Set(groups.flatMap((entries) => entries.map((e) => e.stream)))
    const ids = groups.flatMap((entries) => entries.flatMap((e) => e.events.filter((x) => x.idGiven).map((x) => x.id)))

    /** Plans every commit in call order against `state`; returns the rows to add. */
    const plan = () => {
      const rows: RecordedEvent[] = []
      outcomes = groups.map((entries): Settle => {
        const outcome = planCommit(state, entries, stamp)
        if (outcome.kind === 'error') return { ok: false, error: outcome.error }
        if (outcome.kind === 'write') rows.push(...outcome.records)
        return { ok: true, result: outcome.result }
      })
      return rows
    }
    const issue = (rows: readonly RecordedEvent[], commit: boolean) => {
      attempted = rows
      try {
        for (const row of rows) store.add(row)
      } catch (err) {
        // Firefox refuses the first write of the first transaction after one aborted for
        // quota ("InvalidStateError: A mutation operation was attempted on a database that
        // did not allow mutations"); the next transaction writes. Nothing is written: abort
        // and plan again in a new one, as for a stale cache.
        if (!(err instanceof DOMException && err.name === 'InvalidStateError')) throw err
        stale = true
        tx.abort()
        return
      }
      const end = rows[rows.length - 1]
      last = end === undefined ? undefined : { head: end.position, id: end.id }
      if (commit) tx.commit()
    }
    const write = () => issue(plan(), true)

    try {
      if (cache !== undefined && ids.length === 0 && [...streams].every((s) => cache.versions.has(s))) {
        // Fast path: plan from the cache, no reads first.
        const expectedHead = cache.head
        state.head = expectedHead
        for (const s of streams) state.versions.set(s, cache.versions.get(s) ?? 0)
        valid = true
        const rows = plan()
        if (rows.length > 0 && outcomes.every((o) => o.ok)) {
          // One round trip, like a bare add. If any other context wrote since our last
          // commit, it took position head + 1: our first add fails with ConstraintError,
          // the transaction aborts with nothing written, and the caller re-plans.
          collisionMeansStale = true
          issue(rows, true)
          return
        }
        // An outcome planned from the cache is an error (or writes nothing): a stale cache
        // could make it a false CONCURRENCY, so the head, read before the adds, must prove
        // the cache exact before committing.
        const check = store.openKeyCursor(null, 'prev')
        issue(rows, false)
        check.onsuccess = () => {
          if ((check.result?.key ?? 0) === expectedHead) tx.commit()
          else {
            stale = true
            tx.abort()
          }
        }
        return
      }
      reads(
        (track) => {
          const missing = [...streams].filter((s) => !(cache?.versions.has(s) ?? false))
          readLogState(store, state, missing, ids, track)
        },
        () => {
          valid = cache !== undefined && cache.head === state.head
          const stale = [...streams].filter((s) => !state.versions.has(s))
          if (valid) {
            for (const s of stale) state.versions.set(s, cache?.versions.get(s) ?? 0)
            write()
          } else {
            reads((track) => stale.forEach((s) => readVersion(track, s)), write)
          }
        },
      )
    } catch (err) {
      fail(err)
    }
  })
}

/** The quota error, saying that some of the transaction's events stayed in the log. */
function keptAfterQuota(error: DOMException, kept: number): DOMException {
  const why = 'the browser kept them after the abort, and another context wrote after them'
  return new DOMException(`${error.message} (${kept} events of this write stay in the log: ${why})`, error.name)
}

type Track = <T>(req: IDBRequest<T>, use: (value: T) => void) => void

/** Issues requests through `track`; runs `then` once all have succeeded (at once if none). */
function trackAll(issue: (track: Track) => void, then: () => void, fail: (err: unknown) => void): void {
  let pending = 0
  const track: Track = (req, use) => {
    pending += 1
    req.onsuccess = () => {
      try {
        use(req.result)
        if (--pending === 0) then()
      } catch (err) {
        fail(err)
      }
    }
  }
  issue(track)
  if (pending === 0) then()
}

function readStreamVersion(byStream: IDBIndex, state: LogState, track: Track, s: string): void {
  track(byStream.openKeyCursor(streamRange(s), 'prev'), (cursor) => {
    state.versions.set(s, cursor === null ? 0 : (cursor.key as [string, number])[1])
  })
}

/** Reads into `state` the head, the versions of `streams`, and the recorded events with `ids`. */
function readLogState(store: IDBObjectStore, state: LogState, streams: Iterable<string>, ids: string[], track: Track) {
  track(store.openKeyCursor(null, 'prev'), (cursor) => {
    state.head = cursor === null ? 0 : (cursor.key as number)
  })
  const byStream = store.index('[stream+version]')
  for (const s of streams) readStreamVersion(byStream, state, track, s)
  const idIndex = store.index('id')
  for (const id of ids) {
    track(idIndex.get(id) as IDBRequest<RecordedEvent | undefined>, (row) => {
      if (row !== undefined) state.byId.set(id, row)
    })
  }
}

/**
 * Plans `entries` as one commit inside `tx` (a readwrite transaction that includes
 * `events`, owned by the caller) from fresh reads, and adds its rows. Calls `done` with the
 * outcome and the head after it; the caller commits or aborts. Used where derived events
 * must commit with other writes, such as a consumer's checkpoint.
 *
 * @example
 * ```ts
 * appendWithin(tx, prepareAppend('alerts', events, {}, max, newEventId), stamp, (outcome) =>
 *   outcome.ok ? tx.commit() : tx.abort(),
 * )
 * ```
 */
export function appendWithin(
  tx: IDBTransaction,
  entries: readonly PreparedEntry[],
  stamp: { time: number; origin: string },
  done: (outcome: Settle, head: number) => void,
  fail: (err: unknown) => void,
): void {
  const store = tx.objectStore('events')
  const state: LogState = { head: 0, versions: new Map(), byId: new Map() }
  const ids = entries.flatMap((e) => e.events.filter((x) => x.idGiven).map((x) => x.id))
  trackAll(
    (track) => readLogState(store, state, new Set(entries.map((e) => e.stream)), ids, track),
    () => {
      const outcome = planCommit(state, entries, stamp)
      if (outcome.kind === 'error') return done({ ok: false, error: outcome.error }, state.head)
      if (outcome.kind === 'write') for (const row of outcome.records) store.add(row)
      done({ ok: true, result: outcome.result }, state.head)
    },
    fail,
  )
}
