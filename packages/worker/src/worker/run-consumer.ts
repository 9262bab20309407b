import * as Comlink from 'comlink'
import * as v from 'valibot'
import {
  BrookError,
  EventFilterSchema,
  isBrookError,
  matchesFilter,
  parse,
  partitionOf,
  toPlainJson,
  type EventFilter,
  type EventStore,
  type JsonValue,
  type RecordedEvent,
} from '@brook/core'
import { createBus, holdLease, type Bus, type Lease } from '@brook/bus'
import { openConsumerStorage, openEventStore, type ConsumerStorage } from '@brook/idb'
import { installBrookErrorTransfer } from '../comlink-errors.ts'
import { ResetTarget } from '../reset-target.ts'
import {
  CONSUMER_PROTOCOL,
  type ConsumerState,
  type ConsumerStatus,
  type ConsumerWorkerApi,
  type StartConfig,
} from '../protocol.ts'
import { createRate } from './rate.ts'

/**
 * The consumer's window on its own state, inside one batch. Writes are buffered and commit
 * in ONE IndexedDB transaction with the checkpoint, after `handle` returns; so a batch is
 * applied entirely or not at all, and awaiting anything in `handle` is safe.
 */
export interface ConsumerTx {
  /** A copy of the value under `key` (this batch's own writes included). */
  get<T extends JsonValue = JsonValue>(key: string): Promise<T | undefined>
  /** Sets `key` (JSON, checked at once). */
  put(key: string, value: unknown): void
  delete(key: string): void
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
  handle(batch: readonly RecordedEvent[], tx: ConsumerTx): void | Promise<void>
  /** Attempts per batch before the failure policy applies (default 3), backoff doubling from `backoffMs` (default 50). */
  retry?: { attempts?: number; backoffMs?: number }
  /** After the last attempt: park the failing event and go on (default), or stop. */
  onFailure?: 'park' | 'stop'
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
  // the checkpoint fence in every commit proves nobody else wrote.
  const cache = new Map<string, JsonValue | undefined>()
  const rate = createRate()

  const matches = (e: RecordedEvent) =>
    wanted(e) && (config.partitions === 1 || partitionOf(e.stream, config.partitions) === config.partition)

  const status = (): ConsumerStatus => ({
    name: def.name,
    partition: config.partition,
    partitions: config.partitions,
    position: checkpoint,
    head: Math.max(head, checkpoint),
    lag: Math.max(0, head - checkpoint),
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

  const txFor = (changes: Map<string, JsonValue | undefined>, s: ConsumerStorage): ConsumerTx => ({
    async get<T extends JsonValue>(key: string) {
      if (!changes.has(key) && !cache.has(key)) {
        try {
          cache.set(key, (await s.read([key])).get(key))
        } catch (err) {
          throw new StorageFailure(err)
        }
      }
      const value = changes.has(key) ? changes.get(key) : cache.get(key)
      return (value === undefined ? undefined : structuredClone(value)) as T | undefined
    },
    put(key, value) {
      changes.set(key, toPlainJson(value, `state.${key}`))
    },
    delete(key) {
      changes.set(key, undefined)
    },
  })

  /** Handles `batch` and moves the checkpoint to `upTo`, with retries and the failure policy. */
  async function flush(batch: readonly RecordedEvent[], upTo: number): Promise<void> {
    const s = storage as ConsumerStorage
    let last: unknown
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const changes = new Map<string, JsonValue | undefined>()
      try {
        if (batch.length > 0) {
          try {
            await def.handle(batch, txFor(changes, s))
          } catch (err) {
            // A storage failure stays one even if the handler let it through.
            if (err instanceof StorageFailure) throw err.original
            throw new HandlerError(err)
          }
        }
        await s.commit(checkpoint, upTo, changes)
        for (const [k, value] of changes) cache.set(k, value)
        checkpoint = upTo
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
      for (const e of batch) await flush([e], e.position)
      if (upTo > checkpoint) await flush([], upTo)
      return
    }
    const [event] = batch as [RecordedEvent]
    const error = BrookError.create('HANDLER_FAILED', reason, { reason, where: `position ${event.position}` })
    await s.commit(checkpoint, upTo, new Map(), [{ event, error: error.toData(), attempts }])
    parkedCount += 1
    checkpoint = upTo
    report(true)
  }

  /** Follows the log from the checkpoint until stopped, the lease is lost, or a reset. */
  function follow(): Promise<'again' | 'done'> {
    const s = store as EventStore
    return new Promise((resolve) => {
      let pending: RecordedEvent[] = []
      let seen = checkpoint
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
          if (pending.length >= batchSize || seen >= head || seen - checkpoint >= batchSize * 10) {
            const batch = pending
            pending = []
            await serially(() => flush(batch, seen))
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

  async function lead(signal: AbortSignal): Promise<void> {
    const s = storage as ConsumerStorage
    leading = true
    signal.addEventListener('abort', () => {
      leading = false
      void restart?.()
    })
    try {
      while (leading && !stopped) {
        checkpoint = await s.checkpoint()
        cache.clear()
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
      lease = holdLease(`${storeName}:${id}`, { onAcquired: (signal) => void lead(signal) })
    },
    async status() {
      if (store !== undefined && storage !== undefined && !stopped) {
        head = await store.head()
        if (!leading) {
          checkpoint = await storage.checkpoint()
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
        cache.clear()
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
        let replayed = 0
        for (const row of await s.parked()) {
          const changes = new Map<string, JsonValue | undefined>()
          try {
            await def.handle([row.event], txFor(changes, s))
          } catch {
            continue // still failing: it stays parked
          }
          await s.commit(checkpoint, checkpoint, changes, [], [row.position])
          for (const [k, value] of changes) cache.set(k, value)
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
