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
 */
import { newEventId, type EventStore, type RecordedEvent, type Unsubscribe } from '@brook/core'
import { openEventStore } from '@brook/idb'
import { deleteBrookDatabase } from './brook-store.ts'
import type { LatencySpec, SeenSample, SentSample } from './cases.ts'
import { committed, request } from './idb-request.ts'
import { EVENT_TYPE, makeData, type ItemAdded } from './payload.ts'
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

/** A Brook event's data: the usual payload plus the stamp. */
type Stamped = ItemAdded & { seq: number; sentAt: number }

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
  if (spec.path === 'brook') {
    const store = await openEventStore(spec.name)
    const write = async (seq: number, sentAt: number) => {
      const data: Stamped = { ...makeData(seq), seq, sentAt }
      await store.append('latency', [{ type: EVENT_TYPE, data }])
    }
    return Object.assign(write, { close: () => store.close() })
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
