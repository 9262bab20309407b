/**
 * Consumer catch-up over the read log: fold.consumer.ts started with `startConsumer` (the
 * log's store passed as `store`), timed until its checkpoint reached the head; the same fold
 * as a keyed projection (fold.projection.ts, a projection rebuild), timed the same way; the
 * same events read with raw IndexedDB in a worker; and the page's main thread while several
 * consumers catch up at once.
 *
 * Every run starts from an empty checkpoint and empty state: the consumers' rows
 * (`checkpoints`, `consumerState`, `parked`, keyed by the consumer's name; a projection's
 * consumer is `projection:<name>@1`) are deleted with raw IndexedDB before each start and
 * after each stop, when no worker holds them. `handle.reset('start')` would do the same but
 * only on a running consumer, which then restarts at once: the clock could not start from a
 * cold start.
 */
import { startConsumer, type ConsumerHandle, type ConsumerStatus } from '@brook/worker'
import { brookName } from './brook-store.ts'
import type {
  CatchUpJank,
  ConsumerMeasurement,
  LongTask,
  RawWorkerMeasurement,
  RawWorkerReply,
  RawWorkerRequest,
} from './cases.ts'
import type { FoldTotals } from './fold.ts'
import { committed, openExisting, request } from './idb-request.ts'
import { makeData } from './payload.ts'
import { projectionId } from './projections.ts'

/** A consumer that has not started or reached the head by then is broken, not slow. */
const START_TIMEOUT_MS = 30_000
const CATCH_UP_TIMEOUT_MS = 180_000

/** A row of a consumer in `consumerState`, as read back with raw IndexedDB after it stopped. */
export interface StateRow {
  key: string
  value: unknown
}

/**
 * A consumer worker module started from an empty checkpoint and timed until it reached the
 * head: the fold of the read log as a plain consumer (fold.consumer.ts) or as a projection
 * (fold.projection.ts), or the CEP case's consumers (cep.ts). `S` is what its check reports.
 */
export interface CatchUpWorker<S extends StateFigures = StateFigures> {
  /** The consumer's name: its checkpoint, lease and rows in `consumerState` and `parked`. */
  id: string
  url: URL
  /** `startConsumer` options beyond `onProgress`. */
  options: { store?: string }
  /**
   * Checks what it left once stopped at the head (throws when it is wrong): its checkpoint
   * and every row of its state. Returns figures of that state.
   */
  check(checkpoint: number | undefined, rows: readonly StateRow[], head: number): S
}

/** What a check reports at least: how many keys the state has (the fold's size). */
export interface StateFigures {
  stateKeys: number
}

export const workerUrl = (module: string, query: Record<string, string>) => {
  const url = new URL(module, import.meta.url)
  for (const [key, value] of Object.entries(query)) {
    // Vite's dev server takes a `.` in the query for a file extension and then fails to
    // transform the module as TypeScript; startConsumer would wait for it forever.
    if (value.includes('.')) throw new Error(`${key} here must not contain '.': ${value}`)
    url.searchParams.set(key, value)
  }
  return url
}

/** fold.consumer.ts as consumer `consumer`; the store reaches it as startConsumer's `store`. */
const foldConsumer = (store: string, consumer: string, head: number): CatchUpWorker => ({
  id: consumer,
  url: workerUrl('./fold.consumer.ts', { name: consumer }),
  options: { store },
  check: foldCheck(consumer, 'stream:', expectedTotals(head)),
})

/**
 * fold.projection.ts as projection `name`: consumer `projection:<name>@1`, state rows
 * `s:<stream>` and `$ready` (packages/projections/src/names.ts). The store goes in the URL:
 * runProjection opens it by the name in its own options.
 */
const foldProjectionWorker = (store: string, name: string, head: number): CatchUpWorker => ({
  id: projectionId(name),
  url: workerUrl('./fold.projection.ts', { name, store }),
  options: {},
  check: foldCheck(projectionId(name), 's:', expectedTotals(head), '$ready'),
})

/** One consumer from an empty checkpoint until it reached the head (`events`, the log's length). */
export async function consumerCatchUp(store: string, events: number, consumer: string): Promise<ConsumerMeasurement> {
  const run = await catchUp(store, events, [foldConsumer(store, consumer, events)])
  return run.consumers[0] as ConsumerMeasurement
}

/**
 * The same fold as a keyed projection, rebuilt from empty state and checkpoint until its
 * checkpoint reached the head: timed exactly as {@link consumerCatchUp}.
 */
export async function projectionRebuild(store: string, events: number, name: string): Promise<ConsumerMeasurement> {
  const run = await catchUp(store, events, [foldProjectionWorker(store, name, events)])
  return run.consumers[0] as ConsumerMeasurement
}

/** The same log read with raw IndexedDB in a fresh dedicated worker. */
export function rawWorkerRead(store: string): Promise<RawWorkerMeasurement> {
  const start = performance.now()
  const worker = new Worker(new URL('./raw-read.worker.ts', import.meta.url), { type: 'module' })
  return new Promise<RawWorkerMeasurement>((resolve, reject) => {
    worker.onmessage = (e: MessageEvent<RawWorkerReply>) => {
      const ms = performance.now() - start
      const reply = e.data
      if ('error' in reply) reject(new Error(`raw read worker: ${reply.error}`))
      else resolve({ ...reply, ms })
    }
    worker.onerror = (e) => reject(new Error(`raw read worker: ${e.message}`))
    worker.postMessage({ db: brookName(store) } satisfies RawWorkerRequest)
  }).catch((err: unknown) => {
    // On a failure only: after an answer it ends itself, once its connection closed (see
    // raw-read.worker.ts).
    worker.terminate()
    throw err
  })
}

/**
 * `consumers` fold consumers started at once, each over the whole log, while a
 * PerformanceObserver collects the page's long tasks and a chain of 10 ms timers notes how
 * late the main thread let them fire. The window runs from just before the first
 * `startConsumer` call until the last consumer reported the head.
 */
export async function catchUpJank(store: string, events: number, consumers: readonly string[]): Promise<CatchUpJank> {
  const seen: PerformanceEntry[] = []
  const observer = new PerformanceObserver((list) => seen.push(...list.getEntries()))
  observer.observe({ type: 'longtask' })
  const lates: { at: number; late: number }[] = []
  let ticking = true
  try {
    // Show that the observer works here: a task it must report, just before the window.
    // Not in this task: the observer sees tasks that start after it was registered.
    await sleep(20)
    const busyUntil = performance.now() + 60
    while (performance.now() < busyUntil) {
      // busy
    }
    await sleep(200)
    seen.push(...observer.takeRecords())
    const observerChecked = seen.some((e) => e.duration >= 55)
    seen.length = 0

    let last = performance.now()
    const tick = () => {
      const now = performance.now()
      lates.push({ at: now, late: Math.max(0, now - last - 10) })
      last = now
      if (ticking) setTimeout(tick, 10)
    }
    setTimeout(tick, 10)

    const run = await catchUp(
      store,
      events,
      consumers.map((c) => foldConsumer(store, c, events)),
    )
    ticking = false
    // Entries arrive asynchronously: let the last ones in.
    await sleep(200)
    seen.push(...observer.takeRecords())
    const inWindow = (at: number) => at >= run.start && at <= run.end
    const longTasks: LongTask[] = seen
      .filter((e) => inWindow(e.startTime))
      .map((e) => ({ startTime: e.startTime - run.start, duration: e.duration }))
    const late = lates
      .filter((l) => inWindow(l.at))
      .map((l) => l.late)
      .sort((a, b) => a - b)
    return {
      events,
      ms: run.end - run.start,
      consumers: run.consumers,
      longTasks,
      timerLateMaxMs: late[late.length - 1] ?? NaN,
      timerLateP99Ms: late[Math.max(0, Math.ceil(late.length * 0.99) - 1)] ?? NaN,
      timerTicks: late.length,
      timerStalls: lates
        .filter((l) => inWindow(l.at) && l.late > 50)
        .map((l) => ({ startTime: l.at - run.start, lateMs: l.late })),
      observerChecked,
    }
  } finally {
    ticking = false
    observer.disconnect()
  }
}

export interface CatchUpRun<S extends StateFigures = StateFigures> {
  consumers: (ConsumerMeasurement & S)[]
  /** performance.now() just before the first startConsumer call... */
  start: number
  /** ...and when the last consumer reported the head. */
  end: number
}

/**
 * Starts `workers` at once, each from an empty checkpoint, and waits until every one
 * reported its checkpoint at `head` (or past it). Then stops them, checks what they left
 * (each worker's `check`), and deletes their rows again.
 */
export async function catchUp<S extends StateFigures>(
  store: string,
  head: number,
  workers: readonly CatchUpWorker<S>[],
): Promise<CatchUpRun<S>> {
  const consumers = workers.map((w) => w.id)
  await clearConsumers(store, consumers)
  const handles: ConsumerHandle[] = []
  const timers: ReturnType<typeof setTimeout>[] = []
  const start = performance.now()
  const one = async (worker: CatchUpWorker<S>): Promise<ConsumerMeasurement> => {
    const consumer = worker.id
    let runningMs: number | undefined
    let reached: (ms: number) => void = () => {}
    let failed: (err: Error) => void = () => {}
    const atHead = new Promise<number>((resolve) => {
      reached = resolve
    })
    // Rejects only: raced with each wait below, so nothing waits forever.
    const failure = new Promise<never>((_, reject) => {
      failed = reject
    })
    const fail = (why: string) => () => failed(new Error(`consumer ${consumer} ${why}`))
    // startConsumer never settles when the worker module fails to load: no `error` listener.
    const startTimer = setTimeout(fail(`did not start within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS)
    timers.push(startTimer)
    timers.push(setTimeout(fail(`did not reach ${head} within ${CATCH_UP_TIMEOUT_MS} ms`), CATCH_UP_TIMEOUT_MS))
    // Reports come at most every 100 ms, but always when a batch reaches the head.
    const onProgress = (s: ConsumerStatus) => {
      const at = performance.now() - start
      if (s.state === 'running' && runningMs === undefined) {
        runningMs = at
        if (s.position !== 0) fail(`started at ${s.position}, not from scratch`)()
      }
      if (s.position >= head) reached(at)
      if (s.state === 'failed') fail(`failed: ${s.error ?? 'no reason given'}`)()
    }
    const handle = await Promise.race([startConsumer(worker.url, { ...worker.options, onProgress }), failure])
    handles.push(handle)
    const startedMs = performance.now() - start
    clearTimeout(startTimer)
    const ms = await Promise.race([atHead, failure])
    return { name: consumer, events: head, ms, startedMs, runningMs: runningMs ?? ms, stateKeys: 0 }
  }
  let results: ConsumerMeasurement[]
  let end: number
  try {
    results = await Promise.all(workers.map(one))
    end = performance.now()
  } catch (err) {
    for (const h of handles) h.terminate()
    throw err
  } finally {
    for (const t of timers) clearTimeout(t)
  }
  await Promise.all(handles.map((h) => h.stop()))
  const figures = await checkStates(store, head, workers)
  await clearConsumers(store, consumers)
  return { consumers: results.map((r, i) => ({ ...r, ...(figures[i] as S) })), start, end }
}

/** Deletes the consumers' checkpoints, state and parked events (database schema 2, packages/idb). */
export async function clearConsumers(store: string, consumers: readonly string[]): Promise<void> {
  const db = await openExisting(brookName(store))
  try {
    const tx = db.transaction(['checkpoints', 'consumerState', 'parked'], 'readwrite')
    const done = committed(tx)
    for (const consumer of consumers) {
      tx.objectStore('checkpoints').delete(consumer)
      tx.objectStore('consumerState').delete(ownRows(consumer))
      tx.objectStore('parked').delete(ownRows(consumer))
    }
    tx.commit()
    await done
  } finally {
    db.close()
  }
}

/** The keys `[consumer, anything]`: the rows of one consumer in `consumerState` and `parked`. */
const ownRows = (consumer: string) => IDBKeyRange.bound([consumer, -Infinity], [consumer, []])

/** Reads each worker's checkpoint and state rows, once it stopped, and runs its check. */
async function checkStates<S extends StateFigures>(
  store: string,
  head: number,
  workers: readonly CatchUpWorker<S>[],
): Promise<S[]> {
  const db = await openExisting(brookName(store))
  const figures: S[] = []
  try {
    for (const worker of workers) {
      const tx = db.transaction(['checkpoints', 'consumerState'], 'readonly')
      const checkpoint = (await request(tx.objectStore('checkpoints').get(worker.id))) as
        { position: number } | undefined
      const rows = (await request(tx.objectStore('consumerState').getAll(ownRows(worker.id)))) as StateRow[]
      figures.push(worker.check(checkpoint?.position, rows, head))
    }
    return figures
  } finally {
    db.close()
  }
}

/**
 * A fold's totals must add up to the log's (`want`): every event folded exactly once, and the
 * checkpoint exactly at the head. Only its totals rows (`statePrefix`) count (a projection's
 * `readyKey` row is checked to be there, not added up); any other row is an error. Reports
 * how many totals keys it has.
 */
export const foldCheck =
  (consumer: string, statePrefix: string, want: FoldTotals, readyKey?: string) =>
  (checkpoint: number | undefined, all: readonly StateRow[], head: number): StateFigures => {
    const rows = all.filter((r) => r.key.startsWith(statePrefix)).map((r) => r.value as FoldTotals)
    const others = all.filter((r) => !r.key.startsWith(statePrefix)).map((r) => r.key)
    const unexpected = others.filter((k) => k !== readyKey)
    const unready = readyKey !== undefined && !others.includes(readyKey)
    const count = rows.reduce((n, r) => n + r.count, 0)
    const sum = rows.reduce((n, r) => n + r.sum, 0)
    if (
      checkpoint !== head ||
      rows.length === 0 ||
      count !== want.count ||
      sum !== want.sum ||
      unexpected.length > 0 ||
      unready
    ) {
      throw new Error(
        `consumer ${consumer}: checkpoint ${checkpoint}, ${rows.length} keys, count ${count}, ` +
          `sum ${sum}${unexpected.length > 0 ? `, unexpected keys ${unexpected.join(', ')}` : ''}` +
          `${unready ? `, no ${readyKey} row` : ''}; the log has ${head} events, count ${want.count}, sum ${want.sum}`,
      )
    }
    return { stateKeys: rows.length }
  }

let expected: { events: number; totals: FoldTotals } | undefined

/** What folding the read log (payload.ts, events 0 to `events` - 1, in order) must give. */
function expectedTotals(events: number): FoldTotals {
  if (expected?.events !== events) {
    let sum = 0
    for (let i = 0; i < events; i++) {
      const d = makeData(i)
      sum += d.qty * d.priceCents
    }
    expected = { events, totals: { count: events, sum } }
  }
  return expected.totals
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
