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

/**
 * A worker module that folds the read log as fold.ts does, started from an empty checkpoint:
 * a plain consumer (fold.consumer.ts) or the same fold as a projection (fold.projection.ts).
 */
interface FoldWorker {
  /** The consumer's name: its checkpoint, lease and rows in `consumerState` and `parked`. */
  id: string
  url: URL
  /** `startConsumer` options beyond `onProgress`. */
  options: { store?: string }
  /** The prefix of its state keys that hold fold totals (one key per stream). */
  statePrefix: string
  /** A state key it must have written once caught up (a projection's `$ready`), if any. */
  readyKey?: string
}

const workerUrl = (module: string, query: Record<string, string>) => {
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
const foldConsumer = (store: string, consumer: string): FoldWorker => ({
  id: consumer,
  url: workerUrl('./fold.consumer.ts', { name: consumer }),
  options: { store },
  statePrefix: 'stream:',
})

/**
 * fold.projection.ts as projection `name`: consumer `projection:<name>@1`, state rows
 * `s:<stream>` and `$ready` (packages/projections/src/names.ts). The store goes in the URL:
 * runProjection opens it by the name in its own options.
 */
const foldProjectionWorker = (store: string, name: string): FoldWorker => ({
  id: projectionId(name),
  url: workerUrl('./fold.projection.ts', { name, store }),
  options: {},
  statePrefix: 's:',
  readyKey: '$ready',
})

/** One consumer from an empty checkpoint until it reached the head (`events`, the log's length). */
export async function consumerCatchUp(store: string, events: number, consumer: string): Promise<ConsumerMeasurement> {
  const run = await catchUp(store, events, [foldConsumer(store, consumer)])
  return run.consumers[0] as ConsumerMeasurement
}

/**
 * The same fold as a keyed projection, rebuilt from empty state and checkpoint until its
 * checkpoint reached the head: timed exactly as {@link consumerCatchUp}.
 */
export async function projectionRebuild(store: string, events: number, name: string): Promise<ConsumerMeasurement> {
  const run = await catchUp(store, events, [foldProjectionWorker(store, name)])
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
  }).finally(() => worker.terminate())
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
      consumers.map((c) => foldConsumer(store, c)),
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

interface CatchUpRun {
  consumers: ConsumerMeasurement[]
  /** performance.now() just before the first startConsumer call... */
  start: number
  /** ...and when the last consumer reported the head. */
  end: number
}

/**
 * Starts `workers` at once, each from an empty checkpoint, and waits until every one
 * reported its checkpoint at `head`. Then stops them, checks what they folded against the
 * log, and deletes their rows again.
 */
async function catchUp(store: string, head: number, workers: readonly FoldWorker[]): Promise<CatchUpRun> {
  const consumers = workers.map((w) => w.id)
  await clearConsumers(store, consumers)
  const handles: ConsumerHandle[] = []
  const timers: ReturnType<typeof setTimeout>[] = []
  const start = performance.now()
  const one = async (worker: FoldWorker): Promise<ConsumerMeasurement> => {
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
  const keys = await checkFolds(store, head, workers)
  await clearConsumers(store, consumers)
  return { consumers: results.map((r, i) => ({ ...r, stateKeys: keys[i] ?? 0 })), start, end }
}

/** Deletes the consumers' checkpoints, state and parked events (database schema 2, packages/idb). */
async function clearConsumers(store: string, consumers: readonly string[]): Promise<void> {
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

/**
 * Each worker's totals must add up to the log's: every event folded exactly once. Only its
 * totals rows count (a projection's `$ready` row is checked to be there, not added up); any
 * other row is an error. Returns how many totals keys each has.
 */
async function checkFolds(store: string, head: number, workers: readonly FoldWorker[]): Promise<number[]> {
  const want = expectedTotals(head)
  const db = await openExisting(brookName(store))
  const keys: number[] = []
  try {
    for (const { id: consumer, statePrefix, readyKey } of workers) {
      const tx = db.transaction(['checkpoints', 'consumerState'], 'readonly')
      const checkpoint = (await request(tx.objectStore('checkpoints').get(consumer))) as
        { position: number } | undefined
      const all = (await request(tx.objectStore('consumerState').getAll(ownRows(consumer)))) as {
        key: string
        value: FoldTotals
      }[]
      const rows = all.filter((r) => r.key.startsWith(statePrefix))
      const others = all.filter((r) => !r.key.startsWith(statePrefix)).map((r) => r.key)
      const unexpected = others.filter((k) => k !== readyKey)
      const unready = readyKey !== undefined && !others.includes(readyKey)
      const count = rows.reduce((n, r) => n + r.value.count, 0)
      const sum = rows.reduce((n, r) => n + r.value.sum, 0)
      if (
        checkpoint?.position !== head ||
        rows.length === 0 ||
        count !== want.count ||
        sum !== want.sum ||
        unexpected.length > 0 ||
        unready
      ) {
        throw new Error(
          `consumer ${consumer}: checkpoint ${checkpoint?.position}, ${rows.length} keys, count ${count}, ` +
            `sum ${sum}${unexpected.length > 0 ? `, unexpected keys ${unexpected.join(', ')}` : ''}` +
            `${unready ? `, no ${readyKey} row` : ''}; the log has ${head} events, count ${want.count}, sum ${want.sum}`,
        )
      }
      keys.push(rows.length)
    }
    return keys
  } finally {
    db.close()
  }
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
