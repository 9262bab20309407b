import * as v from 'valibot'
import { dequal } from 'dequal'
import type { EventStore } from '@brook/core'
import { createBus } from '@brook/bus'
import { openStateReader, type StateReader } from '@brook/idb'
import type { EventMap, Projection } from './define.ts'
import {
  consumerId,
  READY_KEY,
  snapshotKey,
  snapshotsId,
  STATE_PREFIX,
  stateKey,
  topicOf,
  ChangeNoticeSchema,
  type Snapshot,
} from './names.ts'

/**
 * `loading`: no version of the projection has caught up yet (values are partial).
 * `ready`: the values are this code's version, caught up.
 * `rebuilding`: this code's version is being built; the values are the previous version's.
 */
export type ProjectionState = 'loading' | 'ready' | 'rebuilding'

export interface ProjectionStatus {
  state: ProjectionState
  /** The version whose values are shown. */
  version: number
  /** How far this code's version has got (its checkpoint) and the log's head. */
  position: number
  head: number
  /** `position / head`, 1 when ready. */
  progress: number
}

/** The read side of a projection, in a page (or any context), live across tabs. */
export interface ProjectionView<S> {
  /** The state of `key` (the only state when unkeyed); `initial` when it has none yet. */
  get(key?: string): Promise<S>
  /** Keyed projections: states in key order, `limit` at a time, after key `after`. */
  list(options?: { limit?: number; after?: string }): Promise<{ key: string; state: S }[]>
  /**
   * Calls `callback` with the state of `key` now, and again whenever it changes (whoever
   * wrote it, in whichever tab). Returns its own cleanup.
   */
  subscribe(key: string | undefined, callback: (state: S) => void): () => void
  /** The latest status. Once ready, its position follows every change notice. */
  status(): ProjectionStatus
  /**
   * Calls `callback` when the state, the version shown or the progress changes. Once ready, a
   * new position alone may go untold (elements showing the status would re-render on every
   * append); `status()` has it.
   */
  onStatus(callback: (status: ProjectionStatus) => void): () => void
  /**
   * The states as of log position `position`: from the newest snapshot at or before it (of
   * this version), folding the rest of the log. Time travel; nothing is stored.
   */
  at(position: number): Promise<Map<string, S>>
  close(): void
}

export interface OpenProjectionOptions {
  /** How often to re-check when no notice arrives (notices are hints). Default 1000 ms. */
  pollMs?: number
}

/**
 * Opens the read side of `projection` on `store`. Start its builder separately (a worker
 * module calling `runProjection`, started with `startConsumer`) in at least one tab.
 *
 * @example
 * ```ts
 * const view = await openProjection(store, carts)
 * const stop = view.subscribe('cart-1', (cart) => render(cart))
 * ```
 */
export async function openProjection<S, M extends EventMap>(
  store: EventStore,
  projection: Projection<S, M>,
  options: OpenProjectionOptions = {},
): Promise<ProjectionView<S>> {
  const p = projection as unknown as Projection<S, EventMap>
  const reader: StateReader = await openStateReader(store.name)
  const bus = createBus(store.name)
  const own = consumerId(p.name, p.version)
  let status: ProjectionStatus = { state: 'loading', version: p.version, position: 0, head: 0, progress: 0 }
  let shown = own // the consumer whose state readers see
  let closed = false
  const statusCallbacks = new Set<(s: ProjectionStatus) => void>()
  const watchers = new Map<string, { callbacks: Set<(s: S) => void>; last: S | undefined }>()

  const read = async (key: string): Promise<S> => {
    const value = (await reader.read(shown, [stateKey(key)])).get(stateKey(key))
    return value === undefined ? p.fresh() : (value as S)
  }

  /** Works out which version to show, from the ready marks; tells status changes. */
  async function settle(): Promise<boolean> {
    // In this order: the ready mark is committed with the batch that reached the head, so
    // a checkpoint read after it is at least that batch's (read at once, the two could
    // straddle that commit: 'ready' at an older position, which steady notices don't fix).
    const mine = await reader.read(own, [READY_KEY])
    const position = await reader.checkpoint(own)
    const head = await store.head()
    let next: { state: ProjectionState; version: number }
    if (mine.has(READY_KEY)) next = { state: 'ready', version: p.version }
    else {
      next = { state: 'loading', version: p.version }
      for (let older = p.version - 1; older >= 1; older--) {
        if ((await reader.read(consumerId(p.name, older), [READY_KEY])).has(READY_KEY)) {
          next = { state: 'rebuilding', version: older }
          break
        }
      }
    }
    const progress = next.state === 'ready' ? 1 : head === 0 ? 0 : Math.min(1, position / head)
    const before = status
    status = { ...next, position, head, progress }
    shown = consumerId(p.name, status.version)
    if (!dequal(before, status)) for (const c of statusCallbacks) c(status)
    return before.version !== status.version
  }

  /** Re-reads the watched keys (all, or those named), in one read, and calls back where they changed. */
  async function refresh(keys: readonly string[] | null) {
    const wanted = [...watchers.keys()].filter((k) => keys === null || keys.includes(k))
    if (wanted.length === 0) return
    const values = await reader.read(shown, wanted.map(stateKey))
    if (closed) return
    for (const key of wanted) {
      const w = watchers.get(key)
      if (w === undefined) continue
      const stored = values.get(stateKey(key))
      const value = stored === undefined ? p.fresh() : (stored as S)
      if (w.last !== undefined && dequal(w.last, value)) continue
      w.last = value
      for (const c of w.callbacks) c(value)
    }
  }

  // One update at a time, in order; a burst of notices collapses into one pass.
  let chain: Promise<void> = Promise.resolve()
  let queued: { keys: Set<string> | null; settle: boolean } | undefined
  /** Re-reads `keys` (`null`: every watched key); `recheck`: the shown version may change too. */
  const update = (keys: readonly string[] | null, recheck: boolean) => {
    if (queued !== undefined) {
      if (keys === null) queued.keys = null
      else for (const k of keys) queued.keys?.add(k)
      queued.settle ||= recheck
      return
    }
    const job = { keys: keys === null ? null : new Set(keys), settle: recheck }
    queued = job
    chain = chain
      .then(async () => {
        queued = undefined
        if (closed) return
        const switched = job.settle ? await settle() : false
        await refresh(switched || job.keys === null ? null : [...job.keys])
      })
      .catch(() => {}) // a closed store; the poll or the next notice tries again
  }

  let noticed = 0 // the newest position a notice told of
  const stopListening = bus.subscribe(topicOf(p.name), (message) => {
    const parsed = v.safeParse(ChangeNoticeSchema, message)
    if (!parsed.success) return
    const n = parsed.output
    // Steady state (this version, caught up) needs no status reads: only the keys changed.
    const steady = status.state === 'ready' && n.version === p.version && n.ready
    if (n.version === status.version) {
      noticed = Math.max(noticed, n.position)
      // Keep status() current without a read; callbacks are for state and progress changes.
      if (steady && n.position > status.position) {
        status = { ...status, position: n.position, head: Math.max(status.head, n.position) }
      }
      update(n.keys, !steady)
    } else if (n.version === p.version) update([], true) // progress, or the switch to this version
  })
  // Notices are hints (a tab can close mid-send): a slow poll catches what none told of.
  let polledAt = -1
  const timer = setInterval(() => {
    void reader.checkpoint(shown).then(
      (cp) => {
        if (cp < polledAt) noticed = cp // moved back (a reset): notices so far are stale
        if (cp !== polledAt && cp > noticed) update(polledAt === -1 ? [] : null, true)
        polledAt = cp
      },
      () => {},
    )
  }, options.pollMs ?? 1000)
  await settle()

  return {
    get: (key = '') => read(key),
    async list({ limit = 100, after } = {}) {
      const rows = await reader.list(shown, {
        prefix: STATE_PREFIX,
        limit,
        ...(after === undefined ? {} : { after: stateKey(after) }),
      })
      return rows.map(([k, state]) => ({ key: k.slice(STATE_PREFIX.length), state: state as S }))
    },
    subscribe(key = '', callback) {
      let w = watchers.get(key)
      if (w === undefined) {
        w = { callbacks: new Set(), last: undefined }
        watchers.set(key, w)
      }
      w.callbacks.add(callback)
      const watcher = w
      // The current value first, so a subscriber never renders nothing.
      void read(key).then(
        (value) => {
          if (closed || !watcher.callbacks.has(callback)) return
          watcher.last ??= value
          callback(value)
        },
        () => {},
      )
      return () => {
        watcher.callbacks.delete(callback)
        if (watcher.callbacks.size === 0) watchers.delete(key)
      }
    },
    status: () => status,
    onStatus(callback) {
      statusCallbacks.add(callback)
      return () => statusCallbacks.delete(callback)
    },
    async at(position) {
      const [newest] = await reader.list(snapshotsId(p.name, p.version), {
        direction: 'backward',
        after: snapshotKey(position + 1),
        limit: 1,
      })
      const snapshot = newest?.[1] as unknown as Snapshot | undefined
      const states = new Map((snapshot?.states ?? []) as [string, S][])
      const start = (snapshot?.position ?? 0) + 1
      if (position < start) return states
      // Folded as read: a long log is never held in memory at once.
      for await (const e of store.read({ from: start, limit: position - start + 1 })) {
        const k = p.keyOf(e)
        if (k !== undefined) states.set(k, p.apply(states.get(k) ?? p.fresh(), e))
      }
      return states
    },
    close() {
      if (closed) return
      closed = true
      clearInterval(timer)
      stopListening()
      bus.close()
      reader.close()
      watchers.clear()
      statusCallbacks.clear()
    },
  }
}
