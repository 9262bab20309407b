/**
 * Write-to-visible latency between two tabs of one origin. Tab A sends (`send`), tab B
 * listens (`listen`, then `collect`). Every event carries the time it was started and tab B
 * notes when it saw it, both as `performance.timeOrigin + performance.now()`, which agree
 * between tabs (the bc path checks: its one-way time matches half its round trip).
 *
 * Each event starts as soon as tab B's acknowledgement of the one before arrives (closed
 * loop, one event in flight, no pause): no event queues behind another's write or read, so
 * every sample is the latency of one lone write, the same thing the floor measures. A free
 * loop would measure queueing under load instead. An idle pause between events was tried
 * (1 and 5 ms): both Brook and the floor got ~1 ms slower (likely processes waking from idle)
 * and their ratio stayed within run-to-run noise, so a pause buys nothing but run time.
 *
 * The `lit` path goes through a projection: tab A appends (to a stream of its own) and runs
 * the projection's builder in a worker (started by `send`, caught up before the first event,
 * stopped after the last); tab B shows that stream's state in a Lit element
 * (`ProjectionController`, lit-view.ts) and sees the event when the element's `updated()`
 * runs with it. Tab B's acknowledgement closes the loop as for the other paths, so every
 * sample is one lone event through append, the builder's fold and commit, its change notice,
 * the view's read and the element's render.
 */
import { newEventId, type EventStore, type RecordedEvent, type Unsubscribe } from '@brook/core'
import { openEventStore } from '@brook/idb'
import { startConsumer, type ConsumerHandle } from '@brook/worker'
import { deleteBrookDatabase } from './brook-store.ts'
import type { LatencySpec, SeenSample, SentSample } from './cases.ts'
import { committed, request } from './idb-request.ts'
import { EVENT_TYPE, makeData } from './payload.ts'
import { LATEST_PROJECTION, type Stamped } from './projections.ts'
import { deleteRawDatabase, makeRow, openRawDatabase } from './raw-store.ts'

/** Tab B -> tab A: "I saw event `seq`". Not a `brook:` channel, so Brook never hears it. */
const ACK_CHANNEL = 'brook-bench-ack'
/** Tab A -> tab B for the floor and bc paths: "event `seq` is written (at `position`)". */
const NOTICE_CHANNEL = 'brook-bench-notice'
/** An event tab B does not acknowledge within this long stops the run: something is broken. */
const ACK_TIMEOUT_MS = 10_000

const now = () => performance.timeOrigin + performance.now()

interface Ack {
  seq: number
}

interface Notice {
  seq: number
  sentAt: number
  /** Floor only: the key tab B reads. */
  position?: number
}

/** The streams tab A appends to: the lit path's own, so its projection key sees nothing else. */
const BROOK_STREAM = 'latency'
const LIT_STREAM = 'latency-lit'
/**
 * The bus topic on which the projection's builder announces each commit (`$projection:<name>`,
 * packages/projections/src/names.ts; not exported, so spelt out here).
 */
const LATEST_TOPIC = `$projection:${LATEST_PROJECTION}`
/** The lit path's builder must be running and caught up within this long. */
const BUILDER_TIMEOUT_MS = 30_000

// ---- tab B --------------------------------------------------------------------------------

interface Listener {
  seen: SeenSample[]
  close(): Promise<void>
}

let listener: Listener | undefined

/** Tab B: starts listening on `spec.path`; resolves once ready for tab A to send. */
export async function listen(spec: LatencySpec): Promise<void> {
  if (listener !== undefined) throw new Error('already listening')
  const acks = new BroadcastChannel(ACK_CHANNEL)
  const seen: SeenSample[] = []
  const saw = (sample: SeenSample) => {
    seen.push(sample)
    acks.postMessage({ seq: sample.seq } satisfies Ack)
  }

  if (spec.path === 'lit') {
    listener = await listenLit(spec, seen, saw, acks)
    return
  }

  if (spec.path === 'brook') {
    // A spy on Brook's own channel notes when each head notice reaches this tab, which
    // splits the latency into "write and notice" and "read and deliver". Opened before the
    // store, so it hears each notice first (channels are served in creation order) and
    // Brook's reaction is not counted on the wrong side.
    const spy = new BroadcastChannel(`brook:${spec.name}`)
    const noticed = new Map<number, number>()
    spy.onmessage = (e: MessageEvent<{ kind?: unknown; head?: unknown }>) => {
      if (e.data.kind === 'head' && typeof e.data.head === 'number') noticed.set(e.data.head, now())
    }
    const store: EventStore = await openEventStore(spec.name)
    const unsubscribe: Unsubscribe = store.subscribe({ from: 'end' }, (event: RecordedEvent) => {
      const seenAt = now()
      const data = event.data as Stamped
      const noticedAt = noticed.get(event.position)
      noticed.delete(event.position)
      saw({ seq: data.seq, sentAt: data.sentAt, seenAt, ...(noticedAt === undefined ? {} : { noticedAt }) })
    })
    // `from: 'end'` reads the head when the subscription starts: let that finish (it was
    // queued first) before tab A writes, or the first event could count as "before the end".
    await store.head()
    await sleep(50)
    listener = {
      seen,
      async close() {
        await unsubscribe()
        await store.close()
        spy.close()
        acks.close()
      },
    }
    return
  }

  const db = spec.path === 'floor' ? await openRawDatabase(spec.name) : undefined
  const notices = new BroadcastChannel(NOTICE_CHANNEL)
  notices.onmessage = (e: MessageEvent<Notice>) => {
    const receivedAt = now()
    const { seq, sentAt, position } = e.data
    if (db === undefined) return saw({ seq, sentAt, seenAt: receivedAt })
    const req = db
      .transaction('events', 'readonly')
      .objectStore('events')
      .get(position ?? 0)
    req.onsuccess = () => {
      if (req.result === undefined) throw new Error(`floor: event ${position} is not in tab B's database`)
      saw({ seq, sentAt, seenAt: now(), noticedAt: receivedAt })
    }
  }
  listener = {
    seen,
    close() {
      notices.close()
      db?.close()
      acks.close()
      return Promise.resolve()
    },
  }
}

/**
 * Tab B, lit path: a `<bench-latest>` element showing the lit stream's state. An event is
 * seen when the element's `updated()` runs with a value stamped by another event than the
 * last one seen (it also updates on status changes, with the same value). As on the brook
 * path, a spy opened first notes when Brook's head notice and the projection's change
 * notice for each position reach this tab.
 */
async function listenLit(
  spec: LatencySpec,
  seen: SeenSample[],
  saw: (sample: SeenSample) => void,
  acks: BroadcastChannel,
): Promise<Listener> {
  const spy = new BroadcastChannel(`brook:${spec.name}`)
  const heads = new Map<number, number>()
  const changes = new Map<number, number>()
  spy.onmessage = (e: MessageEvent<{ kind?: unknown; head?: unknown; topic?: unknown; message?: unknown }>) => {
    const at = now()
    if (e.data.kind === 'head' && typeof e.data.head === 'number') heads.set(e.data.head, at)
    const position = (e.data.message as { position?: unknown } | undefined)?.position
    if (e.data.kind === 'topic' && e.data.topic === LATEST_TOPIC && typeof position === 'number') {
      changes.set(position, at)
    }
  }
  const store: EventStore = await openEventStore(spec.name)
  const close = async (unmount?: () => Promise<void>) => {
    await unmount?.()
    await store.close()
    spy.close()
    acks.close()
  }
  try {
    const { mountLatest } = await import('./lit-view.ts')
    const mounted = await mountLatest(store, LIT_STREAM)
    let last = mounted.initial.sentAt
    mounted.element.onRendered = (value) => {
      const seenAt = now()
      if (value.sentAt === last) return
      last = value.sentAt
      const noticedAt = heads.get(value.position)
      const changedAt = changes.get(value.position)
      heads.delete(value.position)
      changes.delete(value.position)
      saw({
        seq: value.seq,
        sentAt: value.sentAt,
        seenAt,
        ...(noticedAt === undefined ? {} : { noticedAt }),
        ...(changedAt === undefined ? {} : { changedAt }),
      })
    }
    // Let the view's first reads and status settle before tab A writes.
    await sleep(50)
    return { seen, close: () => close(() => mounted.unmount()) }
  } catch (err) {
    await close()
    throw err
  }
}

/** Tab B: stops listening and returns what it saw. */
export async function collect(): Promise<SeenSample[]> {
  const l = listener
  listener = undefined
  if (l === undefined) return []
  await l.close()
  return l.seen
}

// ---- tab A --------------------------------------------------------------------------------

/** Tab A: sends `spec.events` events one at a time, each after tab B saw the previous one. */
export async function send(spec: LatencySpec): Promise<SentSample[]> {
  const acks = awaitAcks()
  const write = await openWriter(spec)
  const sent: SentSample[] = []
  try {
    for (let seq = 0; seq < spec.events; seq++) {
      const sentAt = now()
      await write(seq, sentAt)
      const writtenAt = now()
      const ackedAt = await acks.next(seq)
      sent.push({ seq, sentAt, writtenAt, ackedAt })
    }
    return sent
  } finally {
    await write.close()
    acks.close()
  }
}

type Writer = ((seq: number, sentAt: number) => Promise<void>) & { close(): Promise<void> }

async function openWriter(spec: LatencySpec): Promise<Writer> {
  if (spec.path === 'brook' || spec.path === 'lit') {
    const store = await openEventStore(spec.name)
    let builder: ConsumerHandle | undefined
    try {
      if (spec.path === 'lit') builder = await startBuilder(spec.name, await store.head())
    } catch (err) {
      await store.close()
      throw err
    }
    const stream = spec.path === 'lit' ? LIT_STREAM : BROOK_STREAM
    const write = async (seq: number, sentAt: number) => {
      const data: Stamped = { ...makeData(seq), seq, sentAt }
      await store.append(stream, [{ type: EVENT_TYPE, data }])
    }
    const close = async () => {
      await builder?.stop()
      await store.close()
    }
    return Object.assign(write, { close })
  }

  const notices = new BroadcastChannel(NOTICE_CHANNEL)
  if (spec.path === 'bc') {
    const write = (seq: number, sentAt: number) => {
      notices.postMessage({ seq, sentAt } satisfies Notice)
      return Promise.resolve()
    }
    return Object.assign(write, { close: () => Promise.resolve(notices.close()) })
  }

  // The floor: rows exactly like Brook's, in a database with Brook's indexes, positions
  // counted on from what earlier runs left (positions are gap-free from 1).
  const db = await openRawDatabase(spec.name)
  let head = await request(db.transaction('events', 'readonly').objectStore('events').count())
  const origin = newEventId()
  const write = async (seq: number, sentAt: number) => {
    const position = ++head
    const data: Stamped = { ...makeData(seq), seq, sentAt }
    const tx = db.transaction('events', 'readwrite', { durability: 'strict' })
    tx.objectStore('events').add(makeRow('latency', position, position, data, Date.now(), origin))
    tx.commit()
    await committed(tx)
    notices.postMessage({ seq, sentAt, position } satisfies Notice)
  }
  return Object.assign(write, {
    close() {
      notices.close()
      db.close()
      return Promise.resolve()
    },
  })
}

/**
 * Tab A, lit path: starts the projection's builder (latest.projection.ts) in a worker and
 * resolves once it runs with its checkpoint at `head` (it folds what the other paths wrote
 * since its last run), so no catch-up overlaps the timed events.
 */
async function startBuilder(name: string, head: number): Promise<ConsumerHandle> {
  const url = new URL('./latest.projection.ts', import.meta.url)
  url.searchParams.set('store', name)
  let caughtUp: () => void = () => {}
  let failed: (err: Error) => void = () => {}
  const ready = new Promise<void>((resolve, reject) => {
    caughtUp = resolve
    failed = reject
  })
  const timer = setTimeout(
    () => failed(new Error(`the lit path's builder did not reach ${head} within ${BUILDER_TIMEOUT_MS} ms`)),
    BUILDER_TIMEOUT_MS,
  )
  let builder: ConsumerHandle | undefined
  try {
    // Raced with `ready` failing: startConsumer may never settle for a worker that hangs.
    builder = await Promise.race([
      startConsumer(url, {
        onProgress(s) {
          if (s.state === 'running' && s.position >= head) caughtUp()
          if (s.state === 'failed') failed(new Error(`the lit path's builder failed: ${s.error ?? 'no reason given'}`))
        },
      }),
      ready.then(() => new Promise<never>(() => {})),
    ])
    await ready
    return builder
  } catch (err) {
    builder?.terminate()
    throw err
  } finally {
    clearTimeout(timer)
  }
}

/** Tab A's view of tab B's acknowledgements; an early one is kept until asked for. */
function awaitAcks() {
  const channel = new BroadcastChannel(ACK_CHANNEL)
  const arrived = new Map<number, number>()
  let waiting: { seq: number; resolve: (at: number) => void } | undefined
  channel.onmessage = (e: MessageEvent<Ack>) => {
    const at = now()
    if (waiting?.seq === e.data.seq) waiting.resolve(at)
    else arrived.set(e.data.seq, at)
  }
  return {
    next(seq: number): Promise<number> {
      const early = arrived.get(seq)
      if (early !== undefined) return Promise.resolve(early)
      return new Promise<number>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`tab B did not see event ${seq} within ${ACK_TIMEOUT_MS} ms`)),
          ACK_TIMEOUT_MS,
        )
        waiting = {
          seq,
          resolve: (at) => {
            clearTimeout(timer)
            waiting = undefined
            resolve(at)
          },
        }
      })
    },
    close: () => channel.close(),
  }
}

/** Deletes both databases the latency cases used. */
export async function drop(name: string): Promise<void> {
  await deleteBrookDatabase(name)
  await deleteRawDatabase(name)
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
