import * as Comlink from 'comlink'
import * as v from 'valibot'
import {
  BrookError,
  copyJson,
  EventFilterSchema,
  isBrookError,
  Limits,
  matchesFilter,
  newEventId,
  parse,
  partitionOf,
  prepareAppend,
  toPlainJson,
  type ConsumerTx,
  type EventFilter,
  type EventStore,
  type JsonValue,
  type PreparedEntry,
  type RecordedEvent,
} from '@brook/core'
import { createBus, holdLease, type Bus, type Lease } from '@brook/bus'
import { openConsumerStorage, openEventStore, type BatchWrites, type ConsumerStorage } from '@brook/idb'
import { installBrookErrorTransfer } from '../comlink-errors.ts'
import { ResetTarget } from '../reset-target.ts'
import { consumerLeaseName } from './lease-name.ts'
import {
  CONSUMER_PROTOCOL,
  type ConsumerState,
  type ConsumerStatus,
  type ConsumerWorkerApi,
  type StartConfig,
} from '../protocol.ts'
import { createRate } from './rate.ts'

/** Where a batch stands in the log. */
export interface BatchInfo {
  /** The checkpoint this batch moves to (past events the filter skipped, too). */
  upTo: number
  /** The log's head as last read; `upTo >= head` means the batch reaches the end of the log. */
  head: number
}

export interface ConsumerDefinition {
  /** Unique per store; names the checkpoint, the state and the lease. */
  name: string
  /** The event store's name (as given to `openEventStore`). */
  store: string
  filter?: EventFilter
  /** Most events per `handle` call (and per transaction). Default 100. */
  batchSize?: number
  /** Applies a batch. Throwing rolls the whole batch back; it is retried. */
  handle(batch: readonly RecordedEvent[], tx: ConsumerTx, at: BatchInfo): void | Promise<void>
  /** Attempts per batch before the failure policy applies (default 3), backoff doubling from `backoffMs` (default 50). */
  retry?: { attempts?: number; backoffMs?: number }
  /** After the last attempt: park the failing event and go on (default), or stop. */
  onFailure?: 'park' | 'stop'
  /**
   * Called after each commit with the new checkpoint and the state keys it changed (e.g. to
   * tell readers in every tab), and the store the instance runs on (`startConsumer`'s
   * `store`, else `store` above). A throw here is ignored: the batch is already committed.
   */
  afterCommit?(info: { position: number; changed: readonly string[]; store: string }): void | Promise<void>
  /**
   * Called when an instance starts leading from an empty checkpoint (a first build, or after
   * `reset('start')`): may return a state and the position it is valid at (a snapshot), which
   * is committed as if every event up to there had been handled.
   */
  seed?(info: { store: string }): Promise<{ position: number; state: Record<string, JsonValue> } | undefined>
}

const DefinitionSchema = v.strictObject({
  name: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
  store: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
  filter: v.optional(EventFilterSchema),
  batchSize: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(10_000))),
  handle: v.custom<ConsumerDefinition['handle']>((f) => typeof f === 'function', 'must be a function'),
  retry: v.optional(
    v.strictObject({
      attempts: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(1))),
      backoffMs: v.optional(v.pipe(v.number(), v.minValue(0))),
    }),
  ),
  onFailure: v.optional(v.picklist(['park', 'stop'])),
  seed: v.optional(
    v.custom<NonNullable<ConsumerDefinition['seed']>>((f) => typeof f === 'function', 'must be a function'),
  ),
  afterCommit: v.optional(
    v.custom<NonNullable<ConsumerDefinition['afterCommit']>>((f) => typeof f === 'function', 'must be a function'),
  ),
})

/** Marks errors thrown by app code, so they are retried and parked, unlike storage errors. */
class HandlerError extends Error {
  constructor(readonly original: unknown) {
    super(original instanceof Error ? original.message : String(original))
  }
}

/** Wraps a storage failure met inside `tx`, so it is not mistaken for the handler's own. */
class StorageFailure extends Error {
  constructor(readonly original: unknown) {
    super(original instanceof Error ? original.message : String(original))
  }
}

/** Ends a subscription on purpose (stop, lost lease, reset); not a failure. */
const RESTART = new Error('the consumer restarts its subscription')

/** How often a running instance proves it is alive, and a standby one checks. */
const HEARTBEAT_MS = 1000
/** No sign of life for this long, with work waiting: the running instance is stuck. */
const STALL_MS = 5000

/** Up to this many state keys are loaded at once when an instance starts leading. */
const WARM_KEYS = 20_000

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Runs a consumer inside a dedicated worker: call it at the top of the worker module and
 * start it from the page with `startConsumer`. See the README, "Consumers".
 *
 * @example
 * ```ts
 * // totals.consumer.ts
 * import { runConsumer } from '@brook/worker/worker'
 * runConsumer({
 *   name: 'totals',
 *   store: 'shop',
 *   filter: { types: ['ItemAdded'] },
 *   async handle(batch, tx) {
 *     const total = (await tx.get<number>('total')) ?? 0
 *     tx.put('total', total + batch.length)
 *   },
 * })
 * ```
 */
export function runConsumer(definition: ConsumerDefinition): void {
  parse(DefinitionSchema, definition, 'definition')
  installBrookErrorTransfer()
  Comlink.expose(createConsumerRuntime(definition))
}

/** The runtime behind {@link runConsumer}; exported for tests that drive it in a page. */
export function createConsumerRuntime(def: ConsumerDefinition): ConsumerWorkerApi {
  const batchSize = def.batchSize ?? 100
  const attempts = def.retry?.attempts ?? 3
  const backoffMs = def.retry?.backoffMs ?? 50
  const wanted = matchesFilter(def.filter)

  let config: StartConfig = { partition: 0, partitions: 1 }
  let id = def.name
  let state: ConsumerState = 'starting'
  let failure: string | undefined
  let store: EventStore | undefined
  const currentStore = () => store?.name ?? def.store
  let storage: ConsumerStorage | undefined
  let bus: Bus | undefined
  let lease: Lease | undefined
  let leading = false
  let stopped = false
  let checkpoint = 0
  let head = 0
  let parkedCount = 0
  let paused = false
  const resumed: (() => void)[] = []
  let restart: (() => Promise<void>) | undefined
  let onProgress: ((status: ConsumerStatus) => void) | undefined
  let lastReport = 0
  // Values this instance knows (undefined = known absent). Valid while it holds the lease:
  // the checkpoint fence in every commit proves nobody else wrote. When `complete`, it
  // holds every key, so a miss means absent without a read.
  const cache = new Map<string, JsonValue | undefined>()
  let complete = false
  // Bumped by every reset: batches gathered before it must not commit after it.
  let generation = 0
  const rate = createRate()

  const matches = (e: RecordedEvent) =>
    wanted(e) && (config.partitions === 1 || partitionOf(e.stream, config.partitions) === config.partition)

  // What a standby instance last saw of the running one's checkpoint. Kept apart from
  // `checkpoint`, the fence of this instance's own commits: a stale batch still in flight
  // after losing the lease must commit against what it started from, and fail.
  let observed = 0
  const position = () => (leading ? checkpoint : Math.max(observed, checkpoint))

  const status = (): ConsumerStatus => ({
    name: def.name,
    partition: config.partition,
    partitions: config.partitions,
    position: position(),
    head: Math.max(head, position()),
    lag: Math.max(0, head - position()),
    state,
    rate: rate.perSecond(),
    parked: parkedCount,
    ...(failure === undefined ? {} : { error: failure }),
  })

  const report = (force = false) => {
    const now = Date.now()
    if (onProgress === undefined || (!force && now - lastReport < 100)) return
    lastReport = now
    onProgress(status())
  }

  // Batches and replays read and write the same state through the same cache and fence:
  // they must never interleave (an await inside a handler would let them).
  let exclusive: Promise<unknown> = Promise.resolve()
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const run = exclusive.then(work, work)
    exclusive = run.catch(() => {})
    return run
  }

  /** What one attempt at a batch writes, buffered until it commits with the checkpoint. */
  interface Buffer {
    changes: Map<string, JsonValue | undefined>
    appends: PreparedEntry[]
    ids: Set<string>
  }
  const newBuffer = (): Buffer => ({ changes: new Map(), appends: [], ids: new Set() })

  const txFor = ({ changes, appends, ids }: Buffer, s: ConsumerStorage): ConsumerTx => ({
    async get<T extends JsonValue>(key: string) {
      if (!changes.has(key) && !cache.has(key) && !complete) {
        try {
          cache.set(key, (await s.read([key])).get(key))
        } catch (err) {
          throw new StorageFailure(err)
        }
      }
      const value = changes.has(key) ? changes.get(key) : cache.get(key)
      // A copy: a handler that mutates what it read and then fails must not have changed the cache.
      return (value === undefined ? undefined : copyJson(value)) as T | undefined
    },
    put(key, value) {
      changes.set(key, toPlainJson(value, `state.${key}`))
    },
    delete(key) {
      changes.set(key, undefined)
    },
    append(stream, events) {
      const entries = prepareAppend(stream, events, {}, Limits.maxEventBytes, newEventId)
      for (const e of entries.flatMap((entry) => entry.events)) {
        if (ids.has(e.id)) {
          const reason = `id ${e.id} is appended twice in this batch`
          throw BrookError.create('VALIDATION', `tx.append: ${reason}`, { path: 'events', reason })
        }
        ids.add(e.id)
      }
      appends.push(...entries)
    },
  })

  async function afterCommit(position: number, changed: string[]): Promise<void> {
    try {
      await def.afterCommit?.({ position, changed, store: currentStore() })
    } catch {
      // Committed is committed; the hook's failure must not make the batch run again.
    }
  }

  /** Commits a buffer with the checkpoint; announces derived events to every context. */
  async function commit(
    expected: number,
    next: number,
    buffer: Buffer,
    extra: Omit<BatchWrites, 'changes' | 'appends'> = {},
  ) {
    const s = storage as ConsumerStorage
    const appended = await s.commit(expected, next, { changes: buffer.changes, appends: buffer.appends, ...extra })
    for (const [k, value] of buffer.changes) cache.set(k, value)
    if (appended !== undefined) bus?.announceHead(appended.position)
    await afterCommit(next, [...buffer.changes.keys()])
  }

  /**
   * Handles `batch` and moves the checkpoint to `upTo`, with retries and the failure policy.
   * `cursor.at` is the checkpoint the caller's subscription last committed (or started
   * from): every commit is fenced against it, never against what another subscription of
   * this instance may have committed meanwhile, so a batch can only land once.
   */
  async function flush(batch: readonly RecordedEvent[], upTo: number, cursor: { at: number }): Promise<void> {
    const s = storage as ConsumerStorage
    let last: unknown
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const buffer = newBuffer()
      try {
        if (batch.length > 0) {
          try {
            await def.handle(batch, txFor(buffer, s), { upTo, head })
          } catch (err) {
            // A storage failure stays one even if the handler let it through.
            if (err instanceof StorageFailure) throw err.original
            throw new HandlerError(err)
          }
        }
        await commit(cursor.at, upTo, buffer)
        cursor.at = checkpoint = upTo
        rate.add(batch.length)
        report(upTo >= head)
        return
      } catch (err) {
        if (!(err instanceof HandlerError)) throw err // storage trouble or a moved checkpoint
        last = err.original
        if (attempt < attempts) await sleep(backoffMs * 2 ** (attempt - 1))
      }
    }
    const reason = last instanceof Error ? last.message : String(last)
    if (def.onFailure === 'stop') {
      throw BrookError.create(
        'HANDLER_FAILED',
        `consumer ${id} stopped: ${reason}`,
        { reason, where: `up to ${upTo}` },
        last,
      )
    }
    if (batch.length > 1) {
      // Find the poison: each event alone, so only the failing ones are parked.
      for (const e of batch) await flush([e], e.position, cursor)
      if (upTo > cursor.at) await flush([], upTo, cursor)
      return
    }
    const [event] = batch as [RecordedEvent]
    const error = BrookError.create('HANDLER_FAILED', reason, { reason, where: `position ${event.position}` })
    await commit(cursor.at, upTo, newBuffer(), { parked: [{ event, error: error.toData(), attempts }] })
    parkedCount += 1
    cursor.at = checkpoint = upTo
    report(true)
  }

  /** Follows the log from the checkpoint until stopped, the lease is lost, or a reset. */
  function follow(): Promise<'again' | 'done'> {
    const s = store as EventStore
    const era = generation
    return new Promise((resolve) => {
      let pending: RecordedEvent[] = []
      let seen = checkpoint
      const cursor = { at: checkpoint }
      const unsubscribe = s.subscribe(
        {
          from: checkpoint + 1,
          onError(err) {
            const cause = err.cause
            if (cause === RESTART) return resolve('again')
            if (isBrookError(cause, 'CONCURRENCY')) return resolve('again') // moved by a reset
            failure = err.message
            state = 'failed'
            report(true)
            // Stopped by policy: keep the lease, so no other tab retries the same poison.
            // Failed for any other reason (storage closed by an upgrade, quota…): let go,
            // so a healthier tab (e.g. one running newer code) can take over.
            if (!isBrookError(cause, 'HANDLER_FAILED')) void lease?.release()
            resolve('done')
          },
        },
        async (e) => {
          if (stopped || !leading) throw RESTART
          while (paused && leading && !stopped) await new Promise<void>((r) => resumed.push(r))
          if (stopped || !leading) throw RESTART
          if (matches(e)) pending.push(e)
          seen = e.position
          if (seen >= head) head = await s.head()
          if (pending.length >= batchSize || seen >= head || seen - cursor.at >= batchSize * 10) {
            const batch = pending
            pending = []
            await serially(() => {
              // A reset ran since this subscription began: its batch belongs to the old checkpoint.
              if (era !== generation) throw RESTART
              return flush(batch, seen, cursor)
            })
          }
        },
      )
      restart = async () => {
        for (const r of resumed.splice(0)) r() // a paused handler must not hold the restart up
        await unsubscribe()
        resolve('again')
      }
    })
  }

  /**
   * Loads the whole state when it is small, so a batch never waits on a read for a key it
   * has not seen yet (most keys of a growing projection are new). Large state is read lazily.
   */
  async function warm(s: ConsumerStorage): Promise<void> {
    cache.clear()
    const all = await s.readAll(WARM_KEYS + 1)
    complete = all.size <= WARM_KEYS
    if (complete) for (const [k, value] of all) cache.set(k, value)
  }

  let watch: ReturnType<typeof setInterval> | undefined
  let standingSince = Date.now()

  /**
   * Every {@link HEARTBEAT_MS}: the running instance stamps its checkpoint row; a standby one
   * checks that stamp. A holder that is frozen (or hung) keeps its Web Lock forever and
   * nobody would notice: with work waiting and no sign of life for {@link STALL_MS}, the
   * standby reports `stalled` and takes the lease. The old holder, if it ever runs again,
   * is fenced by the checkpoint and steps down.
   */
  async function pulse(): Promise<void> {
    const s = storage
    if (s === undefined || stopped) return
    if (leading) return s.heartbeat()
    const [beat, last] = await Promise.all([s.lastBeat(), (store as EventStore).head()])
    head = last
    observed = beat.position
    // Quiet since the last beat, but never since before this instance stood by: one that
    // just stepped down (woken from a hang, its lease stolen) would otherwise read the beat
    // it stamped before its hang, take the new holder for hung and steal the lease back.
    const quietFor = Date.now() - Math.max(beat.at ?? 0, standingSince)
    if (head > beat.position && quietFor > STALL_MS && state !== 'failed') {
      if (state !== 'stalled') {
        state = 'stalled'
        report(true)
      }
      lease?.steal()
    } else if (state === 'stalled') {
      state = 'standby'
      report(true)
    }
  }

  /** Starts from the seed the definition offers (a snapshot) instead of the log's start. */
  async function seed(s: ConsumerStorage, offer: NonNullable<ConsumerDefinition['seed']>): Promise<void> {
    const found = await offer({ store: currentStore() })
    if (found === undefined || found.position <= 0) return
    const changes = new Map<string, JsonValue | undefined>()
    for (const [k, value] of Object.entries(found.state)) changes.set(k, toPlainJson(value, `seed.${k}`))
    await s.commit(0, found.position, { changes })
    checkpoint = found.position
    await afterCommit(found.position, [...changes.keys()])
  }

  async function lead(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return // lost before it began: an abort listener would never fire
    const s = storage as ConsumerStorage
    leading = true
    signal.addEventListener('abort', () => {
      leading = false
      void restart?.()
    })
    try {
      // A sign of life at once, not a heartbeat later: standbys judge a stall by the last
      // beat, and until this one, that is the beat of the holder this instance replaced.
      await s.heartbeat()
      while (leading && !stopped) {
        // After any batch of the previous subscription still in flight: its commit must
        // be in what we read, or the warmed cache would miss its keys.
        await serially(async () => {
          checkpoint = await s.checkpoint()
          if (checkpoint === 0 && def.seed !== undefined)
            await seed(s, (info) => def.seed?.(info) ?? Promise.resolve(undefined))
          await warm(s)
        })
        if (!leading || stopped) break // lost or stopped while reading
        state = paused ? 'paused' : 'running'
        report(true)
        if ((await follow()) === 'done') break
      }
    } catch (err) {
      // Storage failed between batches (e.g. closed by another tab's upgrade): fail typed
      // and let go of the lease, as a failure inside a batch does.
      failure = err instanceof Error ? err.message : String(err)
      state = 'failed'
      void lease?.release()
    }
    if (!stopped && state !== 'failed') state = 'standby'
    standingSince = Date.now()
    report(true)
  }

  const api: ConsumerWorkerApi = {
    protocol: CONSUMER_PROTOCOL,
    async start(startConfig, progress) {
      config = startConfig
      id = config.partitions > 1 ? `${def.name}#${config.partition}/${config.partitions}` : def.name
      const storeName = config.store ?? def.store
      onProgress = progress
      store = await openEventStore(storeName)
      storage = await openConsumerStorage(storeName, id)
      checkpoint = await storage.checkpoint()
      head = await store.head()
      parkedCount = await storage.parkedCount()
      bus = createBus(storeName)
      // A reset made by another tab's instance: the leader starts again from the new checkpoint.
      bus.subscribe('$consumer-reset', (m) => {
        if (m === id) void restart?.()
      })
      state = 'standby'
      report(true) // a standby instance says so at once: the page shows who runs where
      lease = holdLease(consumerLeaseName(storeName, id), { onAcquired: (signal) => void lead(signal) })
      watch = setInterval(() => void pulse().catch(() => {}), HEARTBEAT_MS)
    },
    async status() {
      if (store !== undefined && storage !== undefined && !stopped) {
        head = await store.head()
        if (!leading) {
          observed = await storage.checkpoint()
          parkedCount = await storage.parkedCount()
        }
      }
      return status()
    },
    async pause() {
      paused = true
      if (state === 'running') state = 'paused'
      report(true)
      return Promise.resolve()
    },
    async resume() {
      paused = false
      if (state === 'paused') state = 'running'
      for (const r of resumed.splice(0)) r()
      report(true)
      return Promise.resolve()
    },
    async reset(position) {
      const target = parse(ResetTarget, position, 'position')
      const s = storage as ConsumerStorage
      await serially(async () => {
        await s.reset(target === 'start' ? 1 : target, target === 'start')
        checkpoint = target === 'start' ? 0 : target - 1
        generation += 1
        cache.clear()
        complete = false
        parkedCount = await s.parkedCount()
      })
      bus?.publish('$consumer-reset', id)
      await restart?.()
    },
    async parked() {
      const rows = await (storage as ConsumerStorage).parked()
      return rows.map((r) => ({
        position: r.position,
        type: r.event.type,
        stream: r.event.stream,
        error: r.error.message,
        attempts: r.attempts,
      }))
    },
    async replayParked() {
      // Only the leader may write state: its cache and the checkpoint fence assume it.
      if (!leading) {
        const reason = 'this instance is on standby; replay from the tab whose instance is running'
        throw BrookError.create('VALIDATION', `cannot replay parked events: ${reason}`, {
          path: 'replayParked',
          reason,
        })
      }
      const s = storage as ConsumerStorage
      return serially(async () => {
        // Replays are rare and often follow a fix made outside the consumer: read state afresh.
        cache.clear()
        complete = false
        let replayed = 0
        for (const row of await s.parked()) {
          const buffer = newBuffer()
          try {
            await def.handle([row.event], txFor(buffer, s), { upTo: checkpoint, head })
          } catch {
            continue // still failing: it stays parked
          }
          await commit(checkpoint, checkpoint, buffer, { unpark: [row.position] })
          parkedCount -= 1
          replayed += 1
        }
        report(true)
        return replayed
      })
    },
    async stop() {
      stopped = true
      leading = false
      clearInterval(watch)
      // Let the batch in flight finish before another tab may take the lease.
      await restart?.()
      await exclusive
      await lease?.release()
      bus?.close()
      await store?.close()
      storage?.close()
      state = 'stopped'
    },
  }
  return api
}
