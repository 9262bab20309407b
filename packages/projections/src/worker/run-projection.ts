import * as v from 'valibot'
import { parse, type JsonValue, type RecordedEvent, type ConsumerTx } from '@brook/core'
import { createBus, type Bus } from '@brook/bus'
import { openConsumerStorage, openStateReader, type StateReader } from '@brook/idb'
import { runConsumer, type BatchInfo, type ConsumerDefinition } from '@brook/worker/worker'
import { foldBatch, type EventMap, type Projection } from '../define.ts'
import { dropOlderVersions } from './old-versions.ts'
import {
  consumerId,
  READY_KEY,
  snapshotKey,
  snapshotsId,
  STATE_PREFIX,
  stateKey,
  topicOf,
  type ChangeNotice,
  type Snapshot,
} from '../names.ts'

export interface RunProjectionOptions {
  /** The event store's name (as given to `openEventStore`). */
  store: string
  /** Most events per transaction. Default 500. */
  batchSize?: number
}

const OptionsSchema = v.strictObject({
  store: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
  batchSize: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(10_000))),
})

// Readers switch to a version on its ready notice, or at their next poll (1 s by default) if
// the notice was lost: older versions are dropped no sooner than this after it is ready.
const DROP_GRACE_MS = 3000

// A notice lists at most this many keys; beyond, readers re-read what they show.
const MAX_NOTICE_KEYS = 200

/**
 * Runs a projection in this dedicated worker: call it at the top of the worker module and
 * start it from the page with `startConsumer` (one instance runs across all tabs). Its state
 * and checkpoint commit together, so the state is exactly the fold of the log up to the
 * checkpoint. A new `version` builds beside the old one; readers switch once it caught up.
 *
 * @example
 * ```ts
 * // carts.projection.ts (a worker module)
 * import { runProjection } from '@brook/projections/worker'
 * import { carts } from './carts.ts'
 * runProjection(carts, { store: 'shop' })
 * ```
 */
export function runProjection<S, M extends EventMap>(
  projection: Projection<S, M>,
  options: RunProjectionOptions,
): void {
  runConsumer(projectionConsumer(projection, options))
}

/**
 * The consumer definition behind {@link runProjection}, for tests and for composing it with
 * other consumer options.
 *
 * @example
 * ```ts
 * runConsumer({ ...projectionConsumer(carts, { store: 'shop' }), retry: { attempts: 5 } })
 * ```
 */
export function projectionConsumer<S, M extends EventMap>(
  projection: Projection<S, M>,
  options: RunProjectionOptions,
): ConsumerDefinition {
  const { store, batchSize = 500 } = parse(OptionsSchema, options, 'options')
  // The store the instance runs on: `store` above, unless `startConsumer` named another
  // (the runtime tells the hooks; the builder writes, publishes and snapshots there).
  let storeName = store
  const p = projection as unknown as Projection<JsonValue, EventMap>
  const id = consumerId(p.name, p.version)
  let ready: boolean | undefined
  let bus: Bus | undefined
  let reader: Promise<StateReader> | undefined
  let lastSnapshot = 0
  // Older versions' rows go once this one is ready and nobody runs them: checked at most
  // once a second, until none is left, and not before readers had time to switch over.
  let olderLeft = p.version > 1
  let readyBefore = false
  let dropTimer: ReturnType<typeof setTimeout> | undefined
  const dropLater = (delay: number) => {
    if (!olderLeft || dropTimer !== undefined) return
    dropTimer = setTimeout(() => {
      // A failure is tried again after a later commit.
      void readerOf()
        .then((r) => dropOlderVersions(storeName, p.name, p.version, r))
        .then(
          ({ kept }) => (olderLeft = kept.length > 0),
          () => {},
        )
        .finally(() => (dropTimer = undefined))
    }, delay)
  }

  const readerOf = () => (reader ??= openStateReader(storeName))

  async function handle(batch: readonly RecordedEvent[], tx: ConsumerTx, at: BatchInfo): Promise<void> {
    const touched = await foldBatch(p, batch, (k) => tx.get(stateKey(k)))
    for (const [k, state] of touched) tx.put(stateKey(k), state)
    // Caught up once: from then on, readers read this version. The consumer has no filter,
    // so every stretch of the log reaches `handle`, the one at the head included.
    ready ??= (await tx.get(READY_KEY)) !== undefined
    if (!ready && at.upTo >= at.head) {
      tx.put(READY_KEY, { position: at.upTo, at: Date.now() })
      ready = true
    }
  }

  async function afterCommit(info: { position: number; changed: readonly string[]; store: string }) {
    const { position, changed } = info
    storeName = info.store
    const keys = changed.filter((k) => k.startsWith(STATE_PREFIX)).map((k) => k.slice(STATE_PREFIX.length))
    const notice: ChangeNotice = {
      version: p.version,
      position,
      keys: keys.length > MAX_NOTICE_KEYS ? null : keys,
      ready: ready === true,
    }
    ;(bus ??= createBus(storeName)).publish(topicOf(p.name), notice)
    if (ready === true) {
      dropLater(readyBefore ? 1000 : DROP_GRACE_MS)
      readyBefore = true
    }
    const every = p.snapshotEvery
    if (every !== undefined && Math.floor(position / every) > Math.floor(lastSnapshot / every)) {
      lastSnapshot = position
      await writeSnapshot(position)
    }
  }

  // Called between batches (inside the runtime's serial section), so the state read here is
  // exactly the state as of `position`.
  async function writeSnapshot(position: number) {
    const states = await (await readerOf()).list(id, { prefix: STATE_PREFIX })
    const snapshot: Snapshot = {
      position,
      ready: ready === true,
      states: states.map(([k, s]) => [k.slice(STATE_PREFIX.length), s]),
    }
    const storage = await openConsumerStorage(storeName, snapshotsId(p.name, p.version))
    try {
      await storage.commit(0, 0, { changes: new Map([[snapshotKey(position), snapshot as unknown as JsonValue]]) })
    } finally {
      storage.close()
    }
  }

  async function seed(info: { store: string }) {
    storeName = info.store
    const [newest] = await (await readerOf()).list(snapshotsId(p.name, p.version), { direction: 'backward', limit: 1 })
    if (newest === undefined) return undefined
    const snapshot = newest[1] as unknown as Snapshot
    lastSnapshot = snapshot.position
    ready = undefined // re-read from the seeded state
    const state: Record<string, JsonValue> = {}
    for (const [k, s] of snapshot.states) state[stateKey(k)] = s as JsonValue
    // A version that had caught up stays readable while it catches up again from here.
    if (snapshot.ready) state[READY_KEY] = { position: snapshot.position, at: Date.now() }
    return { position: snapshot.position, state }
  }

  return {
    name: id,
    store,
    batchSize,
    handle,
    afterCommit,
    ...(p.snapshotEvery === undefined ? {} : { seed }),
  }
}
