import { expect } from 'chai'
import type { BrookError, JsonValue } from '@brook/core'
import { throwsWith } from '@brook/testing'
import { createBus, type Bus } from './bus.ts'
import { holdLease, leaseInUse } from './lease.ts'
import { BUS_PROTOCOL } from './protocol.ts'

let counter = 0
const uniqueName = () => `bus-test-${Date.now().toString(36)}-${++counter}`

/** Resolves with the next `n` messages a bus delivers on `topic`. */
function next(bus: Bus, topic: string, n = 1): Promise<JsonValue[]> {
  const got: JsonValue[] = []
  return new Promise((resolve) => {
    const off = bus.subscribe(topic, (m) => {
      got.push(m)
      if (got.length === n) {
        off()
        resolve(got)
      }
    })
  })
}

describe('createBus (in one page: several buses stand for several contexts)', () => {
  const open: Bus[] = []
  const bus = (name: string, onError?: (e: BrookError) => void) => {
    const b = createBus(name, onError === undefined ? {} : { onError })
    open.push(b)
    return b
  }
  afterEach(() => {
    for (const b of open.splice(0)) b.close()
  })

  it('reaches every subscriber open now, the publisher itself exactly once', async () => {
    const name = uniqueName()
    const [a, b, c] = [bus(name), bus(name), bus(name)]
    const mine: JsonValue[] = []
    a.subscribe('chat', (m) => mine.push(m))
    const atB = next(b, 'chat', 2)
    const atC = next(c, 'chat', 2)
    a.publish('chat', { text: 'hello' })
    a.publish('chat', { text: 'again' })
    expect(await atB).to.deep.equal([{ text: 'hello' }, { text: 'again' }])
    expect(await atC).to.deep.equal([{ text: 'hello' }, { text: 'again' }])
    // The remote ones have arrived, and a local delivery is a microtask: no echo can follow.
    expect(mine).to.deep.equal([{ text: 'hello' }, { text: 'again' }])
  })

  it('keeps topics and names apart, and replays nothing to a late subscriber', async () => {
    const name = uniqueName()
    const [a, b, other] = [bus(name), bus(name), bus(uniqueName())]
    const strays: JsonValue[] = []
    other.subscribe('t', (m) => strays.push(m))
    b.subscribe('elsewhere', (m) => strays.push(m))
    const first = next(b, 't')
    a.publish('t', 1)
    expect(await first).to.deep.equal([1])
    const late = next(b, 't')
    a.publish('t', 2)
    expect(await late).to.deep.equal([2])
    expect(strays).to.deep.equal([])
  })

  it('ignores and reports malformed or foreign messages, never throwing at subscribers', async () => {
    const name = uniqueName()
    const errors: BrookError[] = []
    const b = bus(name, (e) => errors.push(e))
    const raw = new BroadcastChannel(`brook:${name}`)
    const got = next(b, 't')
    raw.postMessage('not an object')
    raw.postMessage({ protocol: BUS_PROTOCOL + 1, kind: 'topic', sender: 'x', topic: 't', message: 'from the future' })
    raw.postMessage({ protocol: BUS_PROTOCOL, kind: 'topic', sender: 'x', topic: '', message: 1 })
    raw.postMessage({ protocol: BUS_PROTOCOL, kind: 'topic', sender: 'x', topic: 't', message: new Date(0) })
    raw.postMessage({ protocol: BUS_PROTOCOL, kind: 'head', sender: 'x', head: -1 })
    raw.postMessage({ protocol: BUS_PROTOCOL, kind: 'topic', sender: 'x', topic: 't', message: 'valid' })
    expect(await got).to.deep.equal(['valid'])
    raw.close()
    expect(errors.map((e) => [e.code, e.fields.path])).to.deep.equal([
      ['VALIDATION', 'message'],
      ['VALIDATION', 'message.protocol'],
      ['VALIDATION', 'message.topic'],
      ['VALIDATION', 'message.message'],
      ['VALIDATION', 'message.head'],
    ])
  })

  it('reports a throwing subscriber without stopping the others', async () => {
    const name = uniqueName()
    const errors: BrookError[] = []
    const [a, b] = [bus(name), bus(name, (e) => errors.push(e))]
    b.subscribe('t', () => {
      throw new Error('boom')
    })
    const fine = next(b, 't')
    a.publish('t', 'x')
    expect(await fine).to.deep.equal(['x'])
    expect(errors.map((e) => [e.code, e.fields.reason])).to.deep.equal([['HANDLER_FAILED', 'boom']])
  })

  it('carries head notices to other buses only', async () => {
    const name = uniqueName()
    const [a, b] = [bus(name), bus(name)]
    const own: number[] = []
    a.onHead((h) => own.push(h))
    const seen = new Promise<number>((resolve) => b.onHead(resolve))
    a.announceHead(42)
    expect(await seen).to.equal(42)
    // A round trip through the channel, so an echo to `a` would have arrived by now.
    const roundTrip = next(a, 'ping')
    b.publish('ping', 0)
    await roundTrip
    expect(own).to.deep.equal([])
  })

  it('rejects non-JSON messages and bad topics with VALIDATION, and publishing after close', async () => {
    const a = bus(uniqueName())
    expect((await throwsWith(() => a.publish('t', { f: () => 1 }), 'VALIDATION')).path).to.equal('message.f')
    expect((await throwsWith(() => a.publish('', 1), 'VALIDATION')).path).to.equal('topic')
    a.close()
    await throwsWith(() => a.publish('t', 1), 'STORE_CLOSED')
  })
})

describe('holdLease (Web Locks)', () => {
  it('has one holder at a time and hands over on release, in request order', async () => {
    const name = uniqueName()
    const order: string[] = []
    const leases: Record<string, ReturnType<typeof holdLease>> = {}
    const acquired = (who: string) =>
      new Promise<void>((resolve) => {
        leases[who] = holdLease(name, {
          onAcquired() {
            order.push(who)
            resolve()
          },
        })
      })
    const first = acquired('first')
    await first
    const second = acquired('second')
    const third = acquired('third')
    expect(leases.second?.held).to.equal(false)
    await leases.first?.release()
    await second
    expect([leases.first?.held, leases.second?.held, leases.third?.held]).to.deep.equal([false, true, false])
    await leases.second?.release()
    await third
    await leases.third?.release()
    expect(order).to.deep.equal(['first', 'second', 'third'])
  })

  it('aborts the holder signal on release and leaves the queue cleanly when not yet held; leaseInUse follows', async () => {
    const name = uniqueName()
    let signal: AbortSignal | undefined
    const leases: ReturnType<typeof holdLease>[] = []
    const holding = new Promise<void>((resolve) => {
      const lease = holdLease(name, {
        onAcquired(s) {
          signal = s
          resolve()
        },
      })
      leases.push(lease)
    })
    expect(await leaseInUse(name)).to.equal(true) // requested, maybe not granted yet
    await holding
    let waiterGotIt = false
    const waiter = holdLease(name, {
      onAcquired() {
        waiterGotIt = true
      },
    })
    await waiter.release()
    await leases[0]?.release()
    expect(signal?.aborted).to.equal(true)
    const query = await navigator.locks.query()
    expect(query.held?.some((l) => l.name === `brook:lease:${name}`)).to.equal(false)
    expect(query.pending?.some((l) => l.name === `brook:lease:${name}`)).to.equal(false)
    expect(await leaseInUse(name)).to.equal(false)
    expect(waiterGotIt).to.equal(false)
  })
})
