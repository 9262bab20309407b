import { isBrookError, type BrookError, type CommitResult, type PreparedEntry } from '@brook/core'
import { toBrookError, type Connection } from './database.ts'
import { writeGroup, type Settle, type WriterCache } from './write-transaction.ts'

interface Pending {
  entries: PreparedEntry[]
  resolve: (result: CommitResult) => void
  reject: (error: BrookError) => void
}

/**
 * Group commit: appends issued while a write transaction is in flight wait, then go
 * together in the next one. Each caller's commit is planned on its own, in call order, so
 * its result or error is exactly what it would be alone; they only share the fsync.
 *
 * @example
 * ```ts
 * const writer = createGroupCommit(db, 'strict', () => ({ time: Date.now(), origin }), announce)
 * const result = await writer.submit(prepareAppend('a', events, {}, max, newEventId))
 * ```
 */
export function createGroupCommit(
  connection: Connection,
  durability: 'strict' | 'relaxed',
  stamp: () => { time: number; origin: string },
  onCommitted: (last: { head: number; id: string }) => void,
) {
  let queue: Pending[] = []
  let draining: Promise<void> | undefined
  let cache: WriterCache | undefined
  const { db } = connection

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const group = queue
      queue = []
      const outcomes = await commitGroup(group)
      group.forEach((p, i) => {
        const o = outcomes[i] as Settle
        if (o.ok) p.resolve(o.result)
        else p.reject(o.error)
      })
    }
    draining = undefined
  }

  const closedError = () => {
    if (db.isOpen()) return undefined
    try {
      connection.ensureOpen('store')
    } catch (err) {
      return err as BrookError
    }
    return undefined
  }

  async function commitGroup(group: Pending[]): Promise<Settle[]> {
    try {
      // Appends accepted before close() still go through; a connection closed under us
      // (another tab's upgrade) fails them with STORE_CLOSED via the guard.
      // Storage dropped mid-write (evicted, cleared) can leave the transaction pending for
      // good: the loss fails the group with STORAGE_LOST instead of hanging it.
      const entries = group.map((p) => p.entries)
      const write = (from: WriterCache | undefined) =>
        Promise.race([writeGroup(db.backendDB(), durability, entries, from, stamp()), connection.lost])
      let done = await write(cache)
      // Another tab or worker wrote since our last commit: plan again from fresh reads.
      if ('stale' in done) done = await write(undefined)
      if ('stale' in done) throw new Error('a write planned from fresh reads cannot be stale')
      cache = done.cache
      if (done.last !== undefined) onCommitted(done.last)
      return done.outcomes
    } catch (err) {
      cache = undefined
      const error = closedError() ?? toBrookError(err)
      // A full disk fails the whole transaction; give each caller its own chance so one
      // oversized batch does not fail the small appends that happened to share its fsync.
      if (group.length > 1 && isBrookError(error, 'STORAGE_FULL')) {
        const each: Settle[] = []
        for (const p of group) each.push(...(await commitGroup([p])))
        return each
      }
      return group.map(() => ({ ok: false, error }))
    }
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
