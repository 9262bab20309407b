import { expect } from 'chai'
import type { EventStore, JsonValue, RecordedEvent } from '@brook/core'
import { openEventStore, openStateReader } from '@brook/idb'
import { startConsumer, type ConsumerHandle, type ConsumerStatus } from '@brook/worker'
import { foldEvents } from './define.ts'
import { carts, type Cart } from './fixtures/carts.ts'
import { openProjection, type ProjectionStatus, type ProjectionView } from './view.ts'
import { dropOlderVersions } from './worker/index.ts'

let counter = 0
const uniqueName = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(counter += 1)}`

const builder = (
  store: string,
  version: number,
  extra: Record<string, string> = {},
  onProgress?: (s: ConsumerStatus) => void,
) => {
  const url = new URL('./fixtures/carts.worker.ts', import.meta.url)
  url.searchParams.set('store', store)
  url.searchParams.set('version', String(version))
  for (const [k, value] of Object.entries(extra)) url.searchParams.set(k, value)
  return startConsumer(url, onProgress === undefined ? {} : { onProgress })
}

/** Appends `count` ItemAdded events over `carts` carts, 100 per call. */
async function fill(store: EventStore, count: number, cartCount: number, offset = 0) {
  for (let i = 0; i < count; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, count - i) }, (_, j) =>
        store.append(`cart-${(offset + i + j) % cartCount}`, [
          { type: 'ItemAdded', data: { price: ((offset + i + j) % 7) + 1 } },
        ]),
      ),
    )
  }
}

async function logOf(store: EventStore): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = []
  for await (const e of store.read()) events.push(e)
  return events
}

/** Resolves once the status satisfies `ok` (checked now and on every change). */
function statusWhere(view: ProjectionView<Cart>, ok: (s: ProjectionStatus) => boolean): Promise<ProjectionStatus> {
  return new Promise((resolve) => {
    if (ok(view.status())) return resolve(view.status())
    const off = view.onStatus((s) => {
      if (!ok(s)) return
      off()
      resolve(s)
    })
  })
}

/** Resolves once `key`'s state satisfies `ok`; records every value delivered meanwhile. */
function valueWhere(view: ProjectionView<Cart>, key: string, ok: (s: Cart) => boolean, seen: Cart[] = []) {
  return new Promise<Cart>((resolve) => {
    const off = view.subscribe(key, (s) => {
      seen.push(s)
      if (!ok(s)) return
      queueMicrotask(off)
      resolve(s)
    })
  })
}

describe('projections (real IndexedDB, a real worker)', function () {
  this.timeout(60_000)
  const cleanup: (() => Promise<void> | void)[] = []
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c()
  })
  const open = async () => {
    const store = await openEventStore(uniqueName('projection'))
    cleanup.push(() => store.close())
    return store
  }
  const start = async (...args: Parameters<typeof builder>) => {
    const handle: ConsumerHandle = await builder(...args)
    cleanup.push(() => handle.stop())
    return handle
  }
  const view = async (store: EventStore, version: number, snapshotEvery?: number) => {
    const v = await openProjection(store, carts(version, snapshotEvery), { pollMs: 200 })
    cleanup.push(() => v.close())
    return v
  }

  it('equals the fold of the log, per key, and follows appends live', async () => {
    const store = await open()
    await fill(store, 500, 5)
    const v1 = await view(store, 1)
    await start(store.name, 1)
    await statusWhere(v1, (s) => s.state === 'ready')
    let expected = foldEvents(carts(1), await logOf(store))
    for (const [key, state] of expected) expect(await v1.get(key), key).to.deep.equal(state)
    expect(await v1.get('cart-none')).to.deep.equal({ items: 0, total: 0 })

    await fill(store, 300, 5, 500)
    expected = foldEvents(carts(1), await logOf(store))
    const want = expected.get('cart-3') as Cart
    const live = await valueWhere(v1, 'cart-3', (s) => s.items === want.items)
    expect(live).to.deep.equal(want)
    // status() follows the notices once ready (the position is not left at the ready mark's).
    const head = await store.head()
    while (v1.status().position < head) await new Promise((resolve) => setTimeout(resolve, 20)) // no event tells it
    expect(v1.status()).to.include({ state: 'ready', position: head, head })

    const page1 = await v1.list({ limit: 2 })
    expect(page1.map((r) => r.key)).to.deep.equal(['cart-0', 'cart-1'])
    const page2 = await v1.list({ limit: 10, after: 'cart-1' })
    expect(page2.map((r) => r.key)).to.deep.equal(['cart-2', 'cart-3', 'cart-4'])
    for (const { key, state } of [...page1, ...page2]) expect(state, key).to.deep.equal(expected.get(key))
  })

  it('a new version rebuilds in the background: readers keep the old values, then switch at once', async () => {
    const store = await open()
    await fill(store, 3000, 4)
    const v1 = await view(store, 1)
    const old = await start(store.name, 1)
    await statusWhere(v1, (s) => s.state === 'ready')
    const before = foldEvents(carts(1), await logOf(store))
    await old.stop() // new code replaces old: the v1 builder is gone

    const v2 = await view(store, 2)
    expect(v2.status()).to.include({ state: 'rebuilding', version: 1 })
    expect(await v2.get('cart-1')).to.deep.equal(before.get('cart-1'))
    const statuses: ProjectionStatus[] = []
    v2.onStatus((s) => statuses.push(s))
    const seen: Cart[] = []
    const after = foldEvents(carts(2), await logOf(store))
    const switched = valueWhere(v2, 'cart-1', (s) => s.total === after.get('cart-1')?.total, seen)
    await start(store.name, 2)
    await switched
    expect(v2.status()).to.include({ state: 'ready', version: 2, progress: 1 })
    // No flash of empty or partial state: only the old value, then the new one.
    expect(seen.map((s) => s.total)).to.deep.equal([before.get('cart-1')?.total, after.get('cart-1')?.total])
    const progress = statuses.map((s) => s.progress)
    expect(progress).to.deep.equal([...progress].sort((a, b) => a - b))
    expect(statuses.filter((s) => s.state === 'rebuilding').length).to.be.greaterThan(0)
    for (const [key, state] of after) expect(await v2.get(key), key).to.deep.equal(state)
  })

  it("older versions' rows are deleted once a newer one is ready, not while their builder still runs", async () => {
    const store = await open()
    await fill(store, 500, 4)
    const v1 = await view(store, 1)
    const old = await start(store.name, 1, { snapshotEvery: '200' })
    await statusWhere(v1, (s) => s.state === 'ready')
    const v2 = await view(store, 2)
    await start(store.name, 2, { snapshotEvery: '200' })
    await statusWhere(v2, (s) => s.state === 'ready')
    const reader = await openStateReader(store.name)
    cleanup.push(() => reader.close())
    const ids = () => reader.consumers('projection:carts@')
    const v1Ids = ['projection:carts@1', 'projection:carts@1#snapshots']
    const v2Ids = ['projection:carts@2', 'projection:carts@2#snapshots']

    // Version 1's builder still runs (a tab on old code): nothing of it goes.
    expect(await dropOlderVersions(store.name, 'carts', 2)).to.deep.equal({ dropped: [], kept: [1] })
    expect(await ids()).to.deep.equal([...v1Ids, ...v2Ids])
    expect(await v1.get('cart-1')).to.deep.equal(foldEvents(carts(1), await logOf(store)).get('cart-1'))

    // Once it stops, version 2's builder deletes it on its own (after a later commit).
    await old.stop()
    await fill(store, 1, 4, 500)
    for (;;) {
      if ((await ids()).length === 2) break
      await new Promise((resolve) => setTimeout(resolve, 50)) // no event marks the deletion
    }
    expect(await ids()).to.deep.equal(v2Ids)
    for (const id of v1Ids) expect(await reader.list(id), id).to.deep.equal([])
    for (const [key, state] of foldEvents(carts(2), await logOf(store))) {
      expect(await v2.get(key), key).to.deep.equal(state)
    }
    // Nothing older is left: a later call drops nothing.
    expect(await dropOlderVersions(store.name, 'carts', 2)).to.deep.equal({ dropped: [], kept: [] })
  })

  it('runs on the store startConsumer names: notices and snapshots go there too', async () => {
    const store = await open()
    await fill(store, 300, 3)
    const v = await openProjection(store, carts(1, 100), { pollMs: 60_000 }) // notices only
    cleanup.push(() => v.close())
    const url = new URL('./fixtures/carts.worker.ts', import.meta.url)
    url.searchParams.set('store', uniqueName('not-this-one'))
    url.searchParams.set('snapshotEvery', '100')
    const handle = await startConsumer(url, { store: store.name })
    cleanup.push(() => handle.stop())
    await statusWhere(v, (s) => s.state === 'ready')
    const want = foldEvents(carts(1), await logOf(store)).get('cart-0') as Cart
    await valueWhere(v, 'cart-0', (s) => s.items === want.items)
    await fill(store, 3, 3, 300)
    const next = await valueWhere(v, 'cart-0', (s) => s.items === want.items + 1)
    expect(next.total).to.be.greaterThan(want.total)
    const reader = await openStateReader(store.name)
    cleanup.push(() => reader.close())
    expect(await reader.consumers('projection:carts@1')).to.deep.equal([
      'projection:carts@1',
      'projection:carts@1#snapshots',
    ])
  })

  it('a change made in another context reaches subscribers through the bus, not only the poll', async () => {
    const store = await open()
    await fill(store, 10, 2)
    const v = await openProjection(store, carts(1), { pollMs: 60_000 })
    cleanup.push(() => v.close())
    await start(store.name, 1)
    await statusWhere(v, (s) => s.state === 'ready')
    const want = foldEvents(carts(1), await logOf(store)).get('cart-0') as Cart
    const got = await valueWhere(v, 'cart-0', (s) => s.items === want.items)
    await fill(store, 1, 2, 10) // cart-0 again
    const next = await valueWhere(v, 'cart-0', (s) => s.items === got.items + 1)
    expect(next.items).to.equal(want.items + 1)
  })

  it('snapshots: at(position) is the fold up to there, and a rebuild resumes from the newest one', async () => {
    const store = await open()
    await fill(store, 2000, 3)
    const v = await view(store, 1, 500)
    const progress: ConsumerStatus[] = []
    const handle = await start(store.name, 1, { snapshotEvery: '500' }, (s) => progress.push(s))
    await statusWhere(v, (s) => s.state === 'ready' && s.position >= 2000)
    const log = await logOf(store)
    for (const at of [1, 499, 500, 1234, 2000]) {
      const got = await v.at(at)
      expect(Object.fromEntries(got), `at ${at}`).to.deep.equal(
        Object.fromEntries(foldEvents(carts(1), log.slice(0, at))),
      )
    }
    // reset('start') clears the state; the builder seeds it from the snapshot at 2000.
    progress.length = 0
    await handle.reset('start')
    const expected = foldEvents(carts(1), log)
    for (const [key, state] of expected) await valueWhere(v, key, (s) => s.items === state.items)
    for (const [key, state] of expected) expect(await v.get(key), key).to.deep.equal(state)
    await statusWhere(v, (s) => s.state === 'ready')
    const positions = progress.filter((s) => s.state === 'running').map((s) => s.position)
    expect(positions.length).to.be.greaterThan(0)
    expect(Math.min(...positions)).to.be.at.least(2000)
  })

  it('close() releases the view: no more callbacks, while an open view still gets them', async () => {
    const store = await open()
    const closed = await openProjection(store, carts(1), { pollMs: 50 })
    const open2 = await view(store, 1)
    const calls: JsonValue[] = []
    closed.subscribe('cart-0', (s) => calls.push(s))
    await valueWhere(closed, 'cart-0', () => true)
    closed.close()
    const count = calls.length
    await start(store.name, 1)
    await fill(store, 50, 1)
    await valueWhere(open2, 'cart-0', (s) => s.items === 50)
    expect(calls.length).to.equal(count)
  })
})
