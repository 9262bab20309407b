import { expect } from 'chai'
import { LitElement, html } from 'lit'
import type { EventStore } from '@brook/core'
import { openEventStore } from '@brook/idb'
import { startConsumer, type ConsumerHandle } from '@brook/worker'
import { provideStore } from './context.ts'
import { ProjectionController } from './controller.ts'
import { counts } from './fixtures/counts.ts'
import { openViewCount } from './shared-views.ts'

let counter = 0
const uniqueName = () => `lit-controller-${Date.now().toString(36)}-${(counter += 1)}`

/** Shows one stream's count; the store comes from the property or, when unset, the context. */
class CountView extends LitElement {
  static override properties = { stream: { type: String } }
  declare stream: string
  store: EventStore | undefined
  counted: ProjectionController<{ n: number; last: string }> | undefined
  renders = 0

  override connectedCallback() {
    this.counted ??= new ProjectionController(this, this.store, counts, { key: this.stream })
    super.connectedCallback()
  }

  override render() {
    this.renders += 1
    const { value, status } = this.counted as ProjectionController<{ n: number; last: string }>
    return html`<span class="n">${value?.n ?? '-'}</span><span class="last">${value?.last ?? ''}</span
      ><span class="status">${status.state}</span>`
  }
}
customElements.define('test-count-view', CountView)

class StoreRoot extends LitElement {
  provider = provideStore(this)
  override render() {
    return html`<slot></slot>`
  }
}
customElements.define('test-store-root', StoreRoot)

/** Resolves once `check` holds after an update of `el` (checked now and after each update). */
async function until(el: LitElement, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out; shadow: ${el.shadowRoot?.textContent ?? ''}`)
    // The controller requests an update on every change: wait for the next one.
    await new Promise((r) => requestAnimationFrame(r))
    await el.updateComplete
  }
}

const text = (el: Element, part: string) => el.shadowRoot?.querySelector(`.${part}`)?.textContent ?? ''

describe('ProjectionController (real IndexedDB, a real worker)', function () {
  this.timeout(60_000)
  let store: EventStore
  let builder: ConsumerHandle
  beforeEach(async () => {
    store = await openEventStore(uniqueName(), { durability: 'relaxed' })
    const url = new URL('./fixtures/counts.worker.ts', import.meta.url)
    url.searchParams.set('store', store.name)
    builder = await startConsumer(url)
  })
  afterEach(async () => {
    await builder.stop()
    await store.close()
    document.body.replaceChildren()
  })

  it('renders the state of its key and re-renders when an event lands', async () => {
    await store.append('s1', [{ type: 'Noted', data: { text: 'first' } }])
    const el = Object.assign(document.createElement('test-count-view') as CountView, { store, stream: 's1' })
    document.body.append(el)
    await until(el, () => text(el, 'n') === '1')
    await until(el, () => text(el, 'status') === 'ready')
    await store.append('s2', [{ type: 'Noted', data: { text: 'other stream' } }])
    await store.append('s1', [{ type: 'Noted', data: { text: '<img src=x onerror="window.__xss=1">' } }])
    await until(el, () => text(el, 'n') === '2')
    expect(text(el, 'last')).to.equal('<img src=x onerror="window.__xss=1">')
    expect(el.shadowRoot?.querySelector('img')).to.equal(null)
    expect((window as { __xss?: number }).__xss).to.equal(undefined)
  })

  it('takes the store from the context when none is passed', async () => {
    await store.append('ctx', [{ type: 'Noted', data: { text: 'via context' } }])
    const root = document.createElement('test-store-root') as StoreRoot
    root.provider.setValue(store)
    const el = Object.assign(document.createElement('test-count-view') as CountView, { stream: 'ctx' })
    root.append(el)
    document.body.append(root)
    await until(el, () => text(el, 'last') === 'via context')
  })

  it('changing the key shows the other state', async () => {
    await store.append('a', [{ type: 'Noted', data: { text: 'in a' } }])
    await store.append('b', [{ type: 'Noted', data: { text: 'in b' } }])
    const el = Object.assign(document.createElement('test-count-view') as CountView, { store, stream: 'a' })
    document.body.append(el)
    await until(el, () => text(el, 'last') === 'in a')
    ;(el.counted as ProjectionController<{ n: number; last: string }>).key = 'b'
    await until(el, () => text(el, 'last') === 'in b')
  })

  it('releases everything on disconnect: 1,000 connect/disconnect cycles leave no view or callback behind', async () => {
    const before = openViewCount()
    const els = Array.from({ length: 10 }, () =>
      Object.assign(document.createElement('test-count-view') as CountView, { store, stream: 'cycle' }),
    )
    for (let i = 0; i < 100; i++) {
      for (const el of els) document.body.append(el)
      await Promise.all(els.map((el) => el.updateComplete))
      for (const el of els) el.remove()
    }
    // One shared view at most, however many elements came and went; it closes once unused.
    expect(openViewCount()).to.be.at.most(before + 1)
    const watcher = Object.assign(document.createElement('test-count-view') as CountView, { store, stream: 'cycle' })
    document.body.append(watcher)
    const rendersBefore = els.map((el) => el.renders)
    await store.append('cycle', [{ type: 'Noted', data: { text: 'after the cycles' } }])
    await until(watcher, () => text(watcher, 'last') === 'after the cycles')
    // The event reached the connected element; none of the removed ones re-rendered for it.
    expect(els.map((el) => el.renders)).to.deep.equal(rendersBefore)
    watcher.remove()
    const deadline = performance.now() + 5000
    while (openViewCount() > before && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    expect(openViewCount()).to.equal(before)
  })
})
