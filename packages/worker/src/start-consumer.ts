import * as Comlink from 'comlink'
import * as v from 'valibot'
import { BrookError, parse } from '@brook/core'
import { onBackForwardCache, onFreeze } from '@brook/bus'
import { installBrookErrorTransfer } from './comlink-errors.ts'
import { ResetTarget } from './reset-target.ts'
import { CONSUMER_PROTOCOL, type ConsumerState, type ConsumerStatus, type ConsumerWorkerApi } from './protocol.ts'

export interface StartConsumerOptions {
  /** Split streams over this many partitions, each in its own worker with its own checkpoint. Default 1. */
  partitions?: number
  /** Run against another store than the definition names. */
  store?: string
  /** Called with a partition's status as it progresses (at most every 100 ms, and on state changes). */
  onProgress?: (status: ConsumerStatus) => void
}

/** A consumer (or a group of partitions) as the page sees it. */
export interface ConsumerGroupStatus {
  name: string
  /** The lowest checkpoint over the partitions. */
  position: number
  head: number
  /** Summed over the partitions. */
  lag: number
  /** `running` if any partition runs here; otherwise the most telling state. */
  state: ConsumerState
  rate: number
  parked: number
  partitions: ConsumerStatus[]
}

/** Controls a started consumer. Every call goes to each partition's worker. */
export interface ConsumerHandle {
  status(): Promise<ConsumerGroupStatus>
  pause(): Promise<void>
  resume(): Promise<void>
  /** Replays from `position` (checkpoint = position - 1); `'start'` also clears the state. */
  reset(position: number | 'start'): Promise<void>
  parked(): Promise<Awaited<ReturnType<ConsumerWorkerApi['parked']>>>
  /** Retries the parked events on the running instance; resolves with how many succeeded. */
  replayParked(): Promise<number>
  /** Stops cleanly (the lease passes to a standby instance in another tab) and ends the workers. */
  stop(): Promise<void>
  /** Kills the workers at once, as a crash would. For tests and emergencies. */
  terminate(): void
}

const OptionsSchema = v.strictObject({
  partitions: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(64))),
  store: v.optional(v.pipe(v.string(), v.minLength(1))),
  onProgress: v.optional(v.custom<(s: ConsumerStatus) => void>((f) => typeof f === 'function', 'must be a function')),
})

const STATE_RANK: ConsumerState[] = ['failed', 'running', 'paused', 'stalled', 'starting', 'standby', 'stopped']

/**
 * Starts the consumer defined in the worker module at `url` (one worker per partition).
 * Every tab may start the same consumer: one instance per partition runs across the origin,
 * the others stand by and take over when its tab closes or crashes.
 *
 * @example
 * ```ts
 * const totals = await startConsumer(new URL('./totals.consumer.ts', import.meta.url), {
 *   onProgress: (s) => console.log(s.state, s.lag),
 * })
 * console.log(await totals.status())
 * ```
 */
export async function startConsumer(url: URL | string, options: StartConsumerOptions = {}): Promise<ConsumerHandle> {
  const opts = parse(OptionsSchema, options, 'options')
  installBrookErrorTransfer()
  const partitions = opts.partitions ?? 1
  const progress = opts.onProgress === undefined ? undefined : Comlink.proxy(opts.onProgress)
  let workers: Worker[] = []
  let apis: Comlink.Remote<ConsumerWorkerApi>[] = []
  // Rejects when the current workers die. Comlink never settles a call whose worker is gone,
  // so every call races this: none hangs (docs/browser-behaviour.md).
  let death = deathOf([])

  const launch = async () => {
    const fresh = Array.from({ length: partitions }, () => new Worker(url, { type: 'module' }))
    const wrapped = fresh.map((w) => Comlink.wrap<ConsumerWorkerApi>(w))
    const dying = deathOf(fresh)
    try {
      await race(
        dying,
        Promise.all(
          wrapped.map(async (api, partition) => {
            const protocol = await api.protocol
            if (protocol !== CONSUMER_PROTOCOL) {
              const reason = `the worker speaks protocol ${String(protocol)}, this page ${CONSUMER_PROTOCOL}: reload`
              throw BrookError.create('APP_OUTDATED', `cannot start consumer: ${reason}`, { reason })
            }
            const store = opts.store === undefined ? {} : { store: opts.store }
            await api.start({ partition, partitions, ...store }, progress)
          }),
        ),
      )
    } catch (err) {
      for (const w of fresh) w.terminate()
      dying.kill('it failed to start')
      throw err
    }
    workers = fresh
    apis = wrapped
    death = dying
  }
  const kill = () => {
    for (const w of workers) w.terminate()
    death.kill('it was terminated')
    workers = []
    apis = []
  }
  await launch()

  // A page in the back/forward cache keeps its workers' Web Locks and would starve the
  // other tabs (docs/browser-behaviour.md). A frozen worker cannot be asked to let go, but a
  // terminated one releases at once: end the workers on the way in, start anew on return.
  // The same when the page is frozen: its workers may run on (they do under CDP's freeze)
  // or stop, but their locks would outlive any sign of life.
  let stopped = false
  const suspend = {
    enter: kill,
    leave() {
      if (!stopped && workers.length === 0) void launch().catch(() => {})
    },
  }
  const leaveCache = onBackForwardCache(suspend)
  const leaveFreeze = onFreeze(suspend)
  const detach = () => {
    stopped = true
    leaveCache()
    leaveFreeze()
  }
  const all = async <T>(call: (api: Comlink.Remote<ConsumerWorkerApi>) => Promise<T>) =>
    race(death, Promise.all(apis.map(call)))

  return {
    async status() {
      const parts = await all((api) => api.status())
      const first = parts[0]
      if (first === undefined) {
        const reason = 'the consumer is restarting (stopped, or back from the back/forward cache)'
        throw BrookError.create('STORE_CLOSED', `no consumer status: ${reason}`, { reason })
      }
      return {
        name: first.name,
        position: Math.min(...parts.map((p) => p.position)),
        head: Math.max(...parts.map((p) => p.head)),
        lag: parts.reduce((sum, p) => sum + p.lag, 0),
        state: STATE_RANK.find((s) => parts.some((p) => p.state === s)) ?? first.state,
        rate: parts.reduce((sum, p) => sum + p.rate, 0),
        parked: parts.reduce((sum, p) => sum + p.parked, 0),
        partitions: parts,
      }
    },
    pause: async () => void (await all((api) => api.pause())),
    resume: async () => void (await all((api) => api.resume())),
    reset: async (position) => {
      const target = parse(ResetTarget, position, 'position')
      await all((api) => api.reset(target))
    },
    parked: async () => (await all((api) => api.parked())).flat(),
    replayParked: async () => (await all((api) => api.replayParked())).reduce((a, b) => a + b, 0),
    async stop() {
      detach()
      await all((api) => api.stop())
      kill()
    },
    terminate() {
      detach()
      kill()
    },
  }
}

interface Death {
  readonly promise: Promise<never>
  kill(reason: string): void
}

/** A promise that rejects with `WORKER_FAILED` once any of `workers` errors, or on `kill`. */
function deathOf(workers: readonly Worker[]): Death {
  let reject: (err: BrookError) => void = () => {}
  const promise = new Promise<never>((_, r) => (reject = r))
  promise.catch(() => {}) // observed by `race`; a death nobody awaits is not an error
  const kill = (reason: string) => reject(BrookError.create('WORKER_FAILED', `consumer worker: ${reason}`, { reason }))
  for (const w of workers) {
    // Fired for a module that fails to load or throws at top level (e.g. an invalid definition).
    w.addEventListener('error', (e) => kill(e.message === '' ? 'the worker module failed to load' : e.message))
  }
  return { promise, kill }
}

const race = <T>(death: Death, work: Promise<T>): Promise<T> => Promise.race([work, death.promise])
