import { expect } from 'chai'
import type { BrookError, EventStore, RecordedEvent, SubscribeOptions, Unsubscribe } from '@brook/core'
import { throwsWith } from './assertions.ts'

type Test = (title: string, body: (store: EventStore) => Promise<void>) => void

/**
 * Subscribes and collects events; `until(n)` resolves once `n` events arrived. No timers:
 * tests await deliveries, never sleep.
 *
 * @example
 * ```ts
 * const sub = collector(store, { from: 'start' })
 * await sub.until(3)
 * await sub.stop()
 * ```
 */
export function collector(store: EventStore, options: SubscribeOptions, onEvent?: (e: RecordedEvent) => Promise<void>) {
  const events: RecordedEvent[] = []
  let waiters: { n: number; resolve: () => void }[] = []
  const stop = store.subscribe(options, async (e) => {
    await onEvent?.(e)
    events.push(e)
    waiters = waiters.filter((w) => (events.length >= w.n ? (w.resolve(), false) : true))
  })
  return {
    events,
    stop,
    until: (n: number) =>
      new Promise<void>((resolve) => {
        if (events.length >= n) resolve()
        else waiters.push({ n, resolve })
      }),
  }
}

const ev = (type: string, data: unknown = null) => ({ type, data })
const positions = (events: readonly RecordedEvent[]) => events.map((e) => e.position)

/** The `subscribe` part of the EventStore contract. */
export function subscribeContract(test: Test): void {
  test('catches up from the start, then follows live appends, in order', async (store) => {
    await store.append('a', [ev('A'), ev('B')])
    const sub = collector(store, {})
    await sub.until(2)
    await store.append('b', [ev('C')])
    await store.commit([
      { stream: 'a', events: [ev('D')] },
      { stream: 'c', events: [ev('E'), ev('F')] },
    ])
    await sub.until(6)
    await sub.stop()
    expect(positions(sub.events)).to.deep.equal([1, 2, 3, 4, 5, 6])
    expect(sub.events.map((e) => e.type)).to.deep.equal(['A', 'B', 'C', 'D', 'E', 'F'])
  })

  test('starts at an inclusive position, or at the end', async (store) => {
    await store.append('a', [ev('A'), ev('B'), ev('C')])
    const from2 = collector(store, { from: 2 })
    const fromEnd = collector(store, { from: 'end' })
    await from2.until(2)
    // 'end' has begun once it would see a new event: append, then both must see it.
    await store.append('a', [ev('D')])
    await Promise.all([from2.until(3), fromEnd.until(1)])
    await Promise.all([from2.stop(), fromEnd.stop()])
    expect(positions(from2.events)).to.deep.equal([2, 3, 4])
    expect(positions(fromEnd.events)).to.deep.equal([4])
  })

  test('filters by type and stream without skipping or repeating', async (store) => {
    const byType = collector(store, { filter: { types: ['Hit'] } })
    const byStream = collector(store, { filter: { streams: ['s2'] } })
    for (let i = 0; i < 30; i++) await store.append(`s${i % 3}`, [ev(i % 4 === 0 ? 'Hit' : 'Miss', i)])
    await Promise.all([byType.until(8), byStream.until(10)])
    await Promise.all([byType.stop(), byStream.stop()])
    expect(byType.events.map((e) => e.data)).to.deep.equal([0, 4, 8, 12, 16, 20, 24, 28])
    expect(byStream.events.map((e) => e.data)).to.deep.equal([2, 5, 8, 11, 14, 17, 20, 23, 26, 29])
  })

  test('delivers a burst larger than one page exactly once, in order', async (store) => {
    const sub = collector(store, { from: 'start' })
    await store.append(
      'burst',
      Array.from({ length: 1200 }, (_, i) => ev('T', i)),
    )
    await store.append('tail', [ev('T', 1200)])
    await sub.until(1201)
    await sub.stop()
    expect(sub.events.map((e) => e.data)).to.deep.equal(Array.from({ length: 1201 }, (_, i) => i))
  })

  test('a slow handler applies back-pressure: one event at a time, in order', async (store) => {
    let running = 0
    let most = 0
    const sub = collector(store, { from: 'start' }, async () => {
      running += 1
      most = Math.max(most, running)
      // Yield several times, as an async handler doing I/O would.
      for (let i = 0; i < 5; i++) await Promise.resolve()
      running -= 1
    })
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.append('s', [ev('T', i)])))
    await sub.until(20)
    await sub.stop()
    expect(most).to.equal(1)
    expect(sub.events.map((e) => e.data)).to.deep.equal(Array.from({ length: 20 }, (_, i) => i))
  })

  test('unsubscribe stops delivery for good', async (store) => {
    const stopped = collector(store, {})
    const witness = collector(store, {})
    await store.append('s', [ev('A')])
    await Promise.all([stopped.until(1), witness.until(1)])
    await stopped.stop()
    await store.append('s', [ev('B')])
    await witness.until(2)
    await witness.stop()
    expect(positions(stopped.events)).to.deep.equal([1])
  })

  test('unsubscribing from inside the handler stops at once, without waiting for itself', async (store) => {
    await store.append('s', [ev('A'), ev('B'), ev('C')])
    const seen: number[] = []
    let unsubscribe: Unsubscribe = () => Promise.resolve()
    await new Promise<void>((resolve) => {
      unsubscribe = store.subscribe({}, async (e) => {
        seen.push(e.position)
        if (e.position === 2) {
          await unsubscribe()
          resolve()
        }
      })
    })
    const witness = collector(store, {})
    await store.append('s', [ev('D')])
    await witness.until(4)
    await witness.stop()
    expect(seen).to.deep.equal([1, 2])
  })

  test('a throwing handler ends its subscription with HANDLER_FAILED, others go on', async (store) => {
    const failed = new Promise<BrookError>((resolve) => {
      store.subscribe(
        {
          onError: resolve,
        },
        (e) => {
          if (e.type === 'Poison') throw new Error('cannot handle poison')
        },
      )
    })
    const witness = collector(store, {})
    await store.append('s', [ev('Fine'), ev('Poison'), ev('Fine')])
    const err = await failed
    expect(err).to.deep.include({ code: 'HANDLER_FAILED', where: 'position 2' })
    expect(err.fields.reason).to.equal('cannot handle poison')
    await witness.until(3)
    await witness.stop()
  })

  test('rejects bad subscribe options with VALIDATION', async (store) => {
    const handler = () => {}
    expect((await throwsWith(() => store.subscribe({ from: 0 }, handler), 'VALIDATION')).path).to.equal('options.from')
    const bad = { form: 1 } as unknown as SubscribeOptions
    expect((await throwsWith(() => store.subscribe(bad, handler), 'VALIDATION')).path).to.equal('options.form')
    const filter = { filter: { type: ['A'] } } as unknown as SubscribeOptions
    expect((await throwsWith(() => store.subscribe(filter, handler), 'VALIDATION')).path).to.equal(
      'options.filter.type',
    )
  })
}
