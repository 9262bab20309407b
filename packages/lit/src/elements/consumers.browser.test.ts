import { expect } from 'chai'
import { BrookError } from '@brook/core'
import type { ConsumerGroupStatus, ConsumerHandle } from '@brook/worker'
import './consumers.ts'
import type { BrookConsumers, ParkedEvent } from './consumers.ts'
import { mounter, serverCommand, until } from './test-helpers.ts'

const HOSTILE = '<img src=x onerror="window.__xss=1">'

/** A ConsumerHandle that records its calls and answers from a status the test controls. */
function fakeConsumer(name: string, options: { parked?: ParkedEvent[]; fail?: string } = {}) {
  const calls: string[] = []
  let parked = options.parked ?? []
  const status: ConsumerGroupStatus = {
    name,
    position: 1200,
    head: 1500,
    lag: 300,
    state: 'running',
    rate: 812.6,
    parked: parked.length,
    partitions: [],
  }
  const call = <T>(name: string, effect: () => T): Promise<T> => {
    calls.push(name)
    try {
      return Promise.resolve(effect())
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)))
    }
  }
  const handle: ConsumerHandle = {
    status: () =>
      call('status', () => {
        if (options.fail !== undefined) throw BrookError.create('STORE_CLOSED', options.fail, { reason: options.fail })
        return { ...status }
      }),
    pause: () => call('pause', () => void (status.state = 'paused')),
    resume: () => call('resume', () => void (status.state = 'running')),
    reset: (position) =>
      call(`reset ${position}`, () => {
        if (position === 'start') status.position = 0
      }),
    parked: () => call('parked', () => parked),
    replayParked: () =>
      call('replayParked', () => {
        const n = parked.length
        parked = []
        status.parked = 0
        return n
      }),
    stop: () => call('stop', () => undefined),
    terminate: () => void calls.push('terminate'),
  }
  return { handle, calls, status, count: (call: string) => calls.filter((c) => c === call).length }
}

describe('<brook-consumers>', () => {
  const page = mounter()
  afterEach(() => page.cleanup())

  const panel = (consumers: BrookConsumers['consumers'], pollMs = 500) => {
    const el = document.createElement('brook-consumers')
    el.consumers = consumers
    el.pollMs = pollMs
    return page.mount(el)
  }
  const section = (el: BrookConsumers, name: string) =>
    el.shadowRoot?.querySelector<HTMLElement>(`section[aria-label="Consumer ${name}"]`) ?? undefined
  const button = (el: BrookConsumers, label: string) => {
    const b = el.shadowRoot?.querySelector<HTMLButtonElement>(`button[aria-label="${label}"]`)
    if (b === null || b === undefined) throw new Error(`no button "${label}"`)
    return b
  }
  /** Whether the button is there and enabled (for `until`: false while not rendered yet). */
  const enabled = (el: BrookConsumers, label: string) =>
    el.shadowRoot?.querySelector<HTMLButtonElement>(`button[aria-label="${label}"]`)?.disabled === false
  const text = (el: Element | undefined) => el?.textContent?.replace(/\s+/g, ' ') ?? ''

  it("shows each consumer's position, lag, rate, state and parked events, as text", async () => {
    const totals = fakeConsumer('totals', {
      parked: [{ position: 7, type: HOSTILE, stream: '<script>window.__xss=1</script>', error: HOSTILE, attempts: 3 }],
    })
    const alerts = fakeConsumer('alerts')
    const el = panel([totals.handle, alerts.handle])
    const card = await until('the totals card', () => section(el, 'totals'))
    await until('the parked list', () => card.querySelector('tbody tr'))
    expect(text(card)).to.include('running')
    expect(text(card)).to.match(/position\s?1,200/)
    expect(text(card)).to.match(/lag\s?300/)
    expect(text(card)).to.match(/rate\s?813\/s/)
    expect(text(card)).to.match(/parked\s?1/)
    const cells = [...card.querySelectorAll('tbody td')].map((td) => td.textContent)
    expect(cells).to.deep.equal(['7', HOSTILE, '<script>window.__xss=1</script>', '3', HOSTILE])
    expect(el.shadowRoot?.querySelectorAll('img, script').length).to.equal(0)
    expect((window as { __xss?: unknown }).__xss).to.equal(undefined)
    expect(section(el, 'alerts'), 'every consumer has a card').not.to.equal(undefined)
  })

  it('pause, resume, reset (to the start or a typed position) and replay call the handle', async () => {
    const c = fakeConsumer('totals', {
      parked: [{ position: 9, type: 'ItemAdded', stream: 'cart-1', error: 'boom', attempts: 3 }],
    })
    const el = panel({ totals: c.handle })
    await until('a status', () => enabled(el, 'Pause totals'))
    expect(button(el, 'Resume totals').disabled, 'resume is off while running').to.equal(true)

    button(el, 'Pause totals').click()
    await until('resume to be on', () => enabled(el, 'Resume totals'))
    expect(c.count('pause')).to.equal(1)
    expect(text(section(el, 'totals'))).to.include('paused')

    button(el, 'Resume totals').click()
    await until('pause to be on again', () => enabled(el, 'Pause totals'))
    expect(c.count('resume')).to.equal(1)

    button(el, 'Reset totals to the start').click()
    await until('the reset', () => c.calls.includes('reset start'))

    const input = el.shadowRoot?.querySelector<HTMLInputElement>('input[type="number"]')
    if (input === null || input === undefined) throw new Error('no position input')
    await until('buttons on again', () => enabled(el, 'Reset totals to the start'))
    expect(button(el, 'Reset totals to position').disabled, 'no position typed yet').to.equal(true)
    input.value = '42'
    input.dispatchEvent(new Event('input'))
    await el.updateComplete
    button(el, 'Reset totals to position').click()
    await until('the reset to 42', () => c.calls.includes('reset 42'))

    await until('buttons on again', () => enabled(el, 'Replay parked events of totals'))
    button(el, 'Replay parked events of totals').click()
    await until('the parked list to empty', () => section(el, 'totals')?.querySelector('table') === null)
    expect(c.count('replayParked')).to.equal(1)
    expect(button(el, 'Replay parked events of totals').disabled, 'nothing left to replay').to.equal(true)
  })

  it('buttons work from the keyboard', async () => {
    const c = fakeConsumer('totals')
    const el = panel({ totals: c.handle })
    await until('a status', () => enabled(el, 'Pause totals'))
    button(el, 'Pause totals').focus()
    await serverCommand('send-keys', { press: 'Enter' })
    await until('the pause', () => c.count('pause') === 1)
    const reset = button(el, 'Reset totals to the start')
    reset.focus()
    await serverCommand('send-keys', { press: 'Space' })
    await until('the reset', () => c.calls.includes('reset start'))
  })

  it('shows failures of status and of actions', async () => {
    const broken = fakeConsumer('broken', { fail: 'no consumer status: the consumer is restarting' })
    const el = panel({ broken: broken.handle })
    const alert = await until('an alert', () => el.shadowRoot?.querySelector('[role="alert"]'))
    expect(alert.textContent).to.equal('STORE_CLOSED: no consumer status: the consumer is restarting')
    expect(text(section(el, 'broken')), 'named by its key before any status').to.include('broken')

    const c = fakeConsumer('totals')
    c.handle.pause = () => Promise.reject(BrookError.create('VALIDATION', 'not here', { path: 'x', reason: 'no' }))
    const other = panel({ totals: c.handle })
    await until('a status', () => enabled(other, 'Pause totals'))
    button(other, 'Pause totals').click()
    const failed = await until('the failure', () => other.shadowRoot?.querySelector('[role="alert"]'))
    expect(failed.textContent).to.equal('pause failed: VALIDATION: not here')
  })

  it('polls while connected and stops when removed, over 1,000 connect/disconnect cycles', async () => {
    const polled = fakeConsumer('polled')
    const el = panel({ polled: polled.handle }, 20)
    await until('three polls', () => polled.count('status') >= 3)

    const cycled = fakeConsumer('cycled')
    for (let i = 0; i < 1000; i++) {
      const cycle = document.createElement('brook-consumers')
      cycle.pollMs = 20
      cycle.consumers = [cycled.handle]
      document.body.append(cycle)
      cycle.remove()
    }
    el.remove()
    expect(cycled.count('status'), 'each connection polled once, at once').to.equal(1000)
    const before = { polled: polled.count('status'), cycled: cycled.count('status') }

    // A control that keeps polling at the same rate measures the time: five of its polls.
    const control = fakeConsumer('control')
    panel({ control: control.handle }, 20)
    await until('five control polls', () => control.count('status') >= 5)
    expect(polled.count('status'), 'the removed panel stopped polling').to.equal(before.polled)
    expect(cycled.count('status'), 'no cycle left a timer behind').to.equal(before.cycled)
  })
})
