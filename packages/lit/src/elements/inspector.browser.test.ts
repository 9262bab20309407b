import { expect } from 'chai'
import type { ConsumerGroupStatus, ConsumerHandle } from '@brook/worker'
import './inspector.ts'
import type { BrookInspector, InspectorTab } from './inspector.ts'
import type { BrookStreams } from './streams.ts'
import {
  ev,
  ignoreResizeObserverLoop,
  loadedPositions,
  mounter,
  serverCommand,
  storeKeeper,
  until,
} from './test-helpers.ts'

const HOSTILE = '<img src=x onerror="window.__xss=1">'

/** A consumer that is always running at position 3. */
function idleConsumer(name: string): ConsumerHandle {
  const status: ConsumerGroupStatus = {
    name,
    position: 3,
    head: 3,
    lag: 0,
    state: 'running',
    rate: 0,
    parked: 0,
    partitions: [],
  }
  const done = () => Promise.resolve()
  return {
    status: () => Promise.resolve({ ...status }),
    pause: done,
    resume: done,
    reset: done,
    parked: () => Promise.resolve([]),
    replayParked: () => Promise.resolve(0),
    stop: done,
    terminate: () => {},
  }
}

/** Stream names and versions as `<brook-streams>` lists them (the rendered rows). */
function listed(el: BrookStreams | null | undefined): string[] {
  return [...(el?.shadowRoot?.querySelectorAll('[role="listitem"]') ?? [])].map(
    (row) => `${row.querySelector('.name')?.textContent}=${row.querySelector('.version')?.textContent}`,
  )
}

describe('<brook-streams>', () => {
  ignoreResizeObserverLoop()
  const stores = storeKeeper()
  const page = mounter()
  afterEach(async () => {
    page.cleanup()
    await stores.cleanup()
  })

  it('lists every stream with its version, sorted, live, filtered, names as text', async () => {
    const store = await stores.open('streams')
    await store.append('cart-2', [ev('A'), ev('B')])
    await store.append('cart-1', [ev('A')])
    await store.append(HOSTILE, [ev('A'), ev('A'), ev('A')])
    const el = document.createElement('brook-streams')
    el.store = store
    page.mount(el)
    await until('three streams', () => listed(el).length === 3)
    expect(listed(el)).to.deep.equal([`${HOSTILE}=3`, 'cart-1=1', 'cart-2=2'])
    expect(el.shadowRoot?.querySelectorAll('img').length).to.equal(0)

    await store.append('cart-1', [ev('C'), ev('D')])
    await store.append('order-1', [ev('A')])
    await until('the new versions, live', () => listed(el).join() === `${HOSTILE}=3,cart-1=3,cart-2=2,order-1=1`)

    el.filter = 'CART'
    await until('the carts', () => listed(el).join() === 'cart-1=3,cart-2=2')
    expect(el.shadowRoot?.querySelector('.count')?.textContent).to.equal('2 of 4 streams')
    expect((window as { __xss?: unknown }).__xss).to.equal(undefined)
  })
})

describe('<brook-inspector>', () => {
  ignoreResizeObserverLoop()
  const stores = storeKeeper()
  const page = mounter()
  afterEach(async () => {
    page.cleanup()
    await stores.cleanup()
  })

  const tab = (el: BrookInspector, name: InspectorTab) => {
    const button = el.shadowRoot?.querySelector<HTMLButtonElement>(`#tab-${name}`)
    if (button === null || button === undefined) throw new Error(`no tab ${name}`)
    return button
  }
  const panel = (el: BrookInspector, name: InspectorTab) => el.shadowRoot?.querySelector<HTMLElement>(`#panel-${name}`)

  it('shows the log, streams and consumers in tabs, opening each panel on first use', async () => {
    const store = await stores.open('inspector')
    await store.append('cart-1', [ev('ItemAdded'), ev('ItemAdded')])
    await store.append('cart-2', [ev('CheckedOut')])
    const el = document.createElement('brook-inspector')
    el.store = store
    el.consumers = { totals: idleConsumer('totals') }
    const changes: InspectorTab[] = []
    el.addEventListener('brook-tab-change', (e) => changes.push(e.detail.tab))
    page.mount(el)

    const log = await until('the log view', () => panel(el, 'log')?.querySelector('brook-log-view'))
    await until('its rows', () => loadedPositions(log.shadowRoot).join() === '1,2,3')
    expect(tab(el, 'log').getAttribute('aria-selected')).to.equal('true')
    expect(panel(el, 'streams')?.hidden).to.equal(true)
    expect(panel(el, 'streams')?.querySelector('brook-streams'), 'not opened yet').to.equal(null)

    tab(el, 'streams').click()
    const streams = await until('the streams panel', () => panel(el, 'streams')?.querySelector('brook-streams'))
    await until('its streams', () => listed(streams).join() === 'cart-1=2,cart-2=1')
    expect(panel(el, 'log')?.hidden).to.equal(true)
    expect(panel(el, 'log')?.querySelector('brook-log-view'), 'kept while hidden').to.equal(log)
    expect(el.tab).to.equal('streams')
    expect(el.getAttribute('tab')).to.equal('streams')

    tab(el, 'consumers').click()
    const consumers = await until('the consumers panel', () => panel(el, 'consumers')?.querySelector('brook-consumers'))
    await until('the consumer', () => consumers.shadowRoot?.textContent?.includes('totals'))
    expect(changes).to.deep.equal(['streams', 'consumers'])
  })

  it('follows the WAI-ARIA tabs pattern from the keyboard', async () => {
    const store = await stores.open('tabs')
    const el = document.createElement('brook-inspector')
    el.store = store
    page.mount(el)
    await el.updateComplete
    expect(tab(el, 'log').tabIndex).to.equal(0)
    expect(tab(el, 'streams').tabIndex, 'one tab stop for the tab list').to.equal(-1)
    expect(tab(el, 'log').getAttribute('aria-controls')).to.equal('panel-log')
    expect(panel(el, 'log')?.getAttribute('aria-labelledby')).to.equal('tab-log')

    tab(el, 'log').focus()
    await serverCommand('send-keys', { press: 'ArrowRight' })
    await until('the streams tab', () => el.shadowRoot?.activeElement === tab(el, 'streams'))
    expect(el.tab).to.equal('streams')
    expect(getComputedStyle(tab(el, 'streams')).outlineStyle, 'focus is visible').to.equal('solid')
    await serverCommand('send-keys', { press: 'End' })
    await until('the consumers tab', () => el.shadowRoot?.activeElement === tab(el, 'consumers'))
    await serverCommand('send-keys', { press: 'ArrowRight' })
    await until('around to the log tab', () => el.tab === 'log')
    await serverCommand('send-keys', { press: 'ArrowLeft' })
    await until('back to consumers', () => el.tab === 'consumers')
  })

  it('every element carries the dark scheme and the public custom properties', async () => {
    const store = await stores.open('styles')
    const el = document.createElement('brook-inspector')
    el.store = store
    el.consumers = [idleConsumer('c')]
    page.mount(el)
    await el.updateComplete
    for (const name of ['streams', 'consumers', 'log'] as const) {
      tab(el, name).click()
      await el.updateComplete
    }
    const log = el.shadowRoot?.querySelector('brook-log-view')
    const streams = el.shadowRoot?.querySelector('brook-streams')
    const consumers = el.shadowRoot?.querySelector('brook-consumers')
    for (const element of [el, log, streams, consumers]) {
      if (element === null || element === undefined) throw new Error('an element is missing')
      await element.updateComplete
      const rules = (element.shadowRoot?.adoptedStyleSheets ?? []).flatMap((sheet) => [...sheet.cssRules])
      const dark = rules.find((r) => r instanceof CSSMediaRule && r.conditionText === '(prefers-color-scheme: dark)')
      expect(dark, `${element.localName} has a dark scheme`).not.to.equal(undefined)
      expect(dark?.cssText).to.include('--brook-bg')
      element.style.setProperty('--brook-fg', 'rgb(10, 20, 30)')
      expect(getComputedStyle(element).color, `${element.localName} takes the page's colours`).to.equal(
        'rgb(10, 20, 30)',
      )
    }
  })
})
