import Dexie from 'dexie'
import {
  isBrookError,
  type BrookError,
  planCommit,
  type CommitResult,
  type LogState,
  type PreparedEntry,
} from '@brook/core'
import { toBrookError, type BrookDatabase, type EventRow } from './database.ts'

interface Pending {
  entries: PreparedEntry[]
  resolve: (result: CommitResult) => void
  reject: (error: BrookError) => void
}

type Settle = { ok: true; result: CommitResult } | { ok: false; error: BrookError }

/**
 * Group commit: appends issued while a write transaction is in flight wait, then go
 * together in the next one. Each caller's commit is planned on its own, in call order, so
 * its result or error is exactly what it would be alone; they only share the fsync.
 *
 * @example
 * ```ts
 * const writer = createGroupCommit(db, () => ({ time: Date.now(), origin }))
 * const result = await writer.submit(prepareAppend('a', events, {}, max, newEventId))
 * ```
 */
export function createGroupCommit(db: BrookDatabase, stamp: () => { time: number; origin: string }) {
  let queue: Pending[] = []
  let draining: Promise<void> | undefined

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const group = queue
      queue = []
      const outcomes = await writeGroup(group)
      group.forEach((p, i) => {
        const o = outcomes[i] as Settle
        if (o.ok) p.resolve(o.result)
        else p.reject(o.error)
      })
    }
    draining = undefined
  }

  async function writeGroup(group: Pending[]): Promise<Settle[]> {
    try {
      return await transact(group)
    } catch (err) {
      const error = toBrookError(err)
      // A full disk fails the whole transaction; give each caller its own chance so one
      // oversized batch does not fail the small appends that happened to share its fsync.
      if (group.length > 1 && isBrookError(error, 'STORAGE_FULL')) {
        const each: Settle[] = []
        for (const p of group) each.push(...(await writeGroup([p])))
        return each
      }
      return group.map(() => ({ ok: false, error }))
    }
  }

  // One readwrite transaction: read the head, the touched streams' versions and the
  // already-recorded ids, plan each commit, write all rows. IndexedDB serialises readwrite
  // transactions over `events` across every tab and worker, so what is read here cannot
  // change before the write: no lost update, no duplicate version.
  function transact(group: Pending[]): Promise<Settle[]> {
    return db.transaction('rw', db.events, async () => {
      const streams = new Set<string>()
      const ids: string[] = []
      for (const p of group) {
        for (const entry of p.entries) {
          streams.add(entry.stream)
          for (const e of entry.events) if (e.idGiven) ids.push(e.id)
        }
      }
      const [head, versions, known] = await Promise.all([
        db.events.orderBy(':id').lastKey(),
        Promise.all([...streams].map(async (s) => [s, await lastVersion(db, s)] as const)),
        ids.length === 0 ? [] : db.events.where('id').anyOf(ids).toArray(),
      ])
      const state: LogState = {
        head: typeof head === 'number' ? head : 0,
        versions: new Map(versions),
        byId: new Map(known.map((r) => [r.id, r])),
      }
      const rows: EventRow[] = []
      const { time, origin } = stamp()
      const outcomes = group.map((p): Settle => {
        const outcome = planCommit(state, p.entries, { time, origin })
        if (outcome.kind === 'error') return { ok: false, error: outcome.error }
        if (outcome.kind === 'write') rows.push(...outcome.records)
        return { ok: true, result: outcome.result }
      })
      if (rows.length > 0) await db.events.bulkAdd(rows)
      return outcomes
    })
  }

  return {
    /** Queues a validated commit; resolves once its transaction has committed. */
    submit(entries: PreparedEntry[]): Promise<CommitResult> {
      return new Promise<CommitResult>((resolve, reject) => {
        queue.push({ entries, resolve, reject })
        // Start on a microtask so appends issued in the same tick share the first transaction.
        draining ??= Promise.resolve().then(drain)
      })
    },
    /** Resolves when everything queued so far has settled. */
    async idle(): Promise<void> {
      while (draining !== undefined) await draining
    },
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
