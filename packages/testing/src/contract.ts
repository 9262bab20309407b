import { expect } from 'chai'
import type { EventStore, NewEvent } from '@brook/core'
import { collect, expectWellFormed, rejectsWith, throwsWith } from './assertions.ts'
import { badInputCases } from './bad-input.ts'
import { propertyTest } from './property.ts'
import { subscribeContract } from './subscribe-contract.ts'

/** Options every store under contract must accept. */
export interface ContractStoreOptions {
  maxEventBytes?: number
  now?: () => number
  origin?: string
}

/** How the contract suite gets a fresh, empty store, and how it throws one away. */
export interface ContractSubject {
  open(options?: ContractStoreOptions): Promise<EventStore>
  /** Called after `close()`, e.g. to delete the database. */
  dispose?(store: EventStore): Promise<void>
  /** Runs of the property-based test (default 100). */
  propertyRuns?: number
}

/** The test functions of the runner (Vitest, Mocha under Web Test Runner, …). */
export interface TestApi {
  describe: (name: string, body: () => void) => void
  it: (name: string, body: () => Promise<void>) => void
}

const ev = (type: string, data: unknown = null, extra: Partial<NewEvent> = {}): NewEvent => ({ type, data, ...extra })

/**
 * The EventStore contract: one suite, run against every implementation. Pass
 * your runner's `describe`/`it` and a factory of fresh stores.
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest'
 * eventStoreContract('memory', { open: async (o) => createMemoryEventStore(o) }, { describe, it })
 * ```
 */
export function eventStoreContract(name: string, subject: ContractSubject, { describe, it }: TestApi): void {
  const test = (title: string, body: (store: EventStore) => Promise<void>, options: ContractStoreOptions = {}) =>
    it(title, async () => {
      const store = await subject.open({ now: () => 1_700_000_000_000, origin: 'replica-1', ...options })
      try {
        await body(store)
      } finally {
        await store.close()
        await subject.dispose?.(store)
      }
    })

  describe(`EventStore contract: ${name}`, () => {
    describe('append', () => {
      test('records events with the full envelope and returns the last position and version', async (store) => {
        expect(await store.head()).to.equal(0)
        expect(await store.streamVersion('cart-1')).to.equal(0)
        const r = await store.append('cart-1', [
          ev('Opened', { by: 'ann' }, { meta: { correlationId: 'c1' } }),
          ev('Added', 2),
        ])
        expect(r.position).to.equal(2)
        expect(r.version).to.equal(2)
        const [first, second] = r.events
        expect(first).to.deep.include({
          stream: 'cart-1',
          version: 1,
          position: 1,
          type: 'Opened',
          data: { by: 'ann' },
          meta: { correlationId: 'c1' },
          time: 1_700_000_000_000,
          origin: 'replica-1',
        })
        expect(second).to.deep.include({ version: 2, position: 2, type: 'Added', data: 2, meta: {} })
        // Assigned ids are UUIDv7: time-ordered, so sync peers can use them as keys.
        expect(first?.id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
        expect(first?.id).to.not.equal(second?.id)
        expect(await store.head()).to.equal(2)
        expect(await store.streamVersion('cart-1')).to.equal(2)
        expect(await collect(store.read())).to.deep.equal(r.events)
      })

      test('positions interleave across streams, versions count per stream', async (store) => {
        await store.append('a', [ev('X')])
        await store.append('b', [ev('X'), ev('X')])
        const r = await store.append('a', [ev('Y')])
        expect(r).to.deep.include({ position: 4, version: 2 })
        const all = await expectWellFormed(store)
        expect(all.map((e) => `${e.stream}@${e.version}`)).to.deep.equal(['a@1', 'b@1', 'b@2', 'a@2'])
      })

      test('keeps a copy: later changes to the input or the result do not reach the log', async (store) => {
        const data = { items: ['a'] }
        const r = await store.append('s', [ev('T', data)])
        data.items.push('mutated')
        ;(r.events[0]?.data as { items: string[] }).items.push('mutated too')
        const [stored] = await collect(store.read())
        expect(stored?.data).to.deep.equal({ items: ['a'] })
      })

      test('stores one large batch atomically with consecutive positions', async (store) => {
        await store.append('before', [ev('X')])
        const batch = Array.from({ length: 5000 }, (_, i) => ev('Reading', { i, value: i * 0.5 }))
        const r = await store.append('big', batch)
        expect(r).to.deep.include({ position: 5001, version: 5000 })
        expect(r.events.map((e) => e.position)).to.deep.equal(batch.map((_, i) => i + 2))
        const back = await collect(store.readStream('big', { fromVersion: 4998 }))
        expect(back.map((e) => (e.data as { i: number }).i)).to.deep.equal([4997, 4998, 4999])
      })
    })

    describe('expectedVersion', () => {
      test('accepts a matching version and rejects others with CONCURRENCY, writing nothing', async (store) => {
        await store.append('s', [ev('A')], { expectedVersion: 'no-stream' })
        await store.append('s', [ev('B')], { expectedVersion: 1 })
        await store.append('s', [ev('C')], { expectedVersion: 'stream-exists' })
        await store.append('s', [ev('D')], { expectedVersion: 'any' })
        const err = await rejectsWith(store.append('s', [ev('E')], { expectedVersion: 2 }), 'CONCURRENCY')
        expect(err).to.deep.include({ stream: 's', expected: 2, actual: 4 })
        const noStream = await rejectsWith(
          store.append('s', [ev('E')], { expectedVersion: 'no-stream' }),
          'CONCURRENCY',
        )
        expect(noStream).to.deep.include({ expected: 'no-stream', actual: 4 })
        const exists = await rejectsWith(
          store.append('t', [ev('E')], { expectedVersion: 'stream-exists' }),
          'CONCURRENCY',
        )
        expect(exists).to.deep.include({ stream: 't', expected: 'stream-exists', actual: 0 })
        await rejectsWith(store.append('t', [ev('E')], { expectedVersion: 3 }), 'CONCURRENCY')
        expect(await store.head()).to.equal(4)
        await store.append('t', [ev('E')], { expectedVersion: 0 })
        expect(await store.streamVersion('t')).to.equal(1)
      })

      test('concurrent appends with the same expected version: exactly one wins', async (store) => {
        await store.append('race', [ev('Start')])
        const tries = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) => store.append('race', [ev('Try', i)], { expectedVersion: 1 })),
        )
        const won = tries.filter((t) => t.status === 'fulfilled')
        expect(won).to.have.length(1)
        for (const t of tries) {
          if (t.status === 'rejected') expect(t.reason).to.deep.include({ code: 'CONCURRENCY', expected: 1, actual: 2 })
        }
        await expectWellFormed(store)
      })
    })

    describe('concurrent appends from one context (group commit)', () => {
      test('each caller gets its own result, in call order, and its own error', async (store) => {
        const calls = Array.from({ length: 60 }, (_, i) =>
          i % 10 === 5
            ? store.append(`s${i % 3}`, [ev('Bad')], { expectedVersion: 99 })
            : store.append(`s${i % 3}`, [ev('Ok', i), ev('Ok2', i)]),
        )
        const settled = await Promise.allSettled(calls)
        let position = 0
        settled.forEach((s, i) => {
          if (i % 10 === 5) {
            expect(s.status).to.equal('rejected')
            if (s.status === 'rejected') expect(s.reason).to.deep.include({ code: 'CONCURRENCY', expected: 99 })
          } else {
            position += 2
            expect(s.status).to.equal('fulfilled')
            if (s.status === 'fulfilled') {
              expect(s.value.position, `call ${i}`).to.equal(position)
              expect(s.value.events.map((e) => e.data)).to.deep.equal([i, i])
            }
          }
        })
        await expectWellFormed(store)
      })
    })

    describe('commit', () => {
      test('appends to several streams in one atomic commit', async (store) => {
        const r = await store.commit([
          { stream: 'order-1', events: [ev('Placed')], expectedVersion: 'no-stream' },
          { stream: 'stock-9', events: [ev('Reserved'), ev('Reserved')] },
          { stream: 'order-1', events: [ev('Paid')], expectedVersion: 1 },
        ])
        expect(r.position).to.equal(4)
        expect(r.results.map((x) => [x.position, x.version])).to.deep.equal([
          [1, 1],
          [3, 2],
          [4, 2],
        ])
        await expectWellFormed(store)
      })

      test('one failing expectation fails the whole commit', async (store) => {
        await store.append('stock-9', [ev('Counted')])
        const err = await rejectsWith(
          store.commit([
            { stream: 'order-1', events: [ev('Placed')] },
            { stream: 'stock-9', events: [ev('Reserved')], expectedVersion: 'no-stream' },
          ]),
          'CONCURRENCY',
        )
        expect(err).to.deep.include({ stream: 'stock-9', actual: 1 })
        expect(await store.head()).to.equal(1)
        expect(await store.streamVersion('order-1')).to.equal(0)
      })
    })

    describe('idempotency by event id', () => {
      test('re-appending recorded ids with the same content returns the original result', async (store) => {
        const batch = [ev('A', { n: 1 }, { id: 'id-1' }), ev('B', null, { id: 'id-2', meta: { m: true } })]
        const first = await store.append('s', batch, { expectedVersion: 'no-stream' })
        await store.append('other', [ev('C')])
        // Idempotency wins over expectedVersion: a retry after an unknown outcome must not fail.
        const again = await store.append('s', batch, { expectedVersion: 'no-stream' })
        expect(again).to.deep.equal(first)
        expect(await store.head()).to.equal(3)
        const viaCommit = await store.commit([{ stream: 's', events: batch }])
        expect(viaCommit.results[0]).to.deep.equal(first)
      })

      test('same id with other content, another stream or a partial batch is ID_CONFLICT', async (store) => {
        await store.append('s', [ev('A', { n: 1 }, { id: 'id-1' })])
        const data = await rejectsWith(store.append('s', [ev('A', { n: 2 }, { id: 'id-1' })]), 'ID_CONFLICT')
        expect(data).to.deep.include({ id: 'id-1', stream: 's' })
        await rejectsWith(store.append('s', [ev('Z', { n: 1 }, { id: 'id-1' })]), 'ID_CONFLICT')
        await rejectsWith(store.append('s', [ev('A', { n: 1 }, { id: 'id-1', meta: { x: 1 } })]), 'ID_CONFLICT')
        await rejectsWith(store.append('t', [ev('A', { n: 1 }, { id: 'id-1' })]), 'ID_CONFLICT')
        await rejectsWith(
          store.append('s', [ev('A', { n: 1 }, { id: 'id-1' }), ev('New', null, { id: 'id-9' })]),
          'ID_CONFLICT',
        )
        expect(await store.head()).to.equal(1)
      })

      test('a duplicate id inside one call is VALIDATION', async (store) => {
        const err = await rejectsWith(
          store.append('s', [ev('A', 1, { id: 'x' }), ev('A', 1, { id: 'x' })]),
          'VALIDATION',
        )
        expect(err.path).to.equal('events[1].id')
        await rejectsWith(
          store.commit([
            { stream: 'a', events: [ev('A', 1, { id: 'x' })] },
            { stream: 'b', events: [ev('A', 1, { id: 'x' })] },
          ]),
          'VALIDATION',
        )
        expect(await store.head()).to.equal(0)
      })

      test('concurrent retries of one batch record it once', async (store) => {
        const batch = [ev('A', 1, { id: 'r-1' }), ev('A', 2, { id: 'r-2' })]
        const results = await Promise.all(Array.from({ length: 10 }, () => store.append('s', batch)))
        for (const r of results) expect(r).to.deep.equal(results[0])
        expect(await store.head()).to.equal(2)
      })
    })

    describe('read', () => {
      const seed = async (store: EventStore) => {
        for (let i = 1; i <= 10; i++)
          await store.append(i % 2 === 0 ? 'even' : 'odd', [ev(i % 3 === 0 ? 'Fizz' : 'Plain', i)])
      }
      const data = (events: { data: unknown }[]) => events.map((e) => e.data)

      test('reads forward and backward from an inclusive position, with limit and types', async (store) => {
        await seed(store)
        expect(data(await collect(store.read()))).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
        expect(data(await collect(store.read({ from: 4, limit: 3 })))).to.deep.equal([4, 5, 6])
        expect(data(await collect(store.read({ types: ['Fizz'] })))).to.deep.equal([3, 6, 9])
        expect(data(await collect(store.read({ types: ['Fizz'], from: 4, limit: 1 })))).to.deep.equal([6])
        expect(data(await collect(store.read({ direction: 'backward', limit: 3 })))).to.deep.equal([10, 9, 8])
        expect(data(await collect(store.read({ direction: 'backward', from: 5 })))).to.deep.equal([5, 4, 3, 2, 1])
        expect(data(await collect(store.read({ direction: 'backward', from: 50, types: ['Fizz'] })))).to.deep.equal([
          9, 6, 3,
        ])
        expect(await collect(store.read({ from: 11 }))).to.deep.equal([])
        expect(await collect(store.read({ limit: 0 }))).to.deep.equal([])
        expect(await collect(store.read({ types: [] }))).to.deep.equal([])
      })

      test('reads one stream by version, both directions', async (store) => {
        await seed(store)
        expect(data(await collect(store.readStream('even')))).to.deep.equal([2, 4, 6, 8, 10])
        expect(data(await collect(store.readStream('even', { fromVersion: 2, limit: 2 })))).to.deep.equal([4, 6])
        expect(data(await collect(store.readStream('odd', { direction: 'backward' })))).to.deep.equal([9, 7, 5, 3, 1])
        expect(data(await collect(store.readStream('odd', { direction: 'backward', fromVersion: 2 })))).to.deep.equal([
          3, 1,
        ])
        expect(data(await collect(store.readStream('odd', { types: ['Fizz'] })))).to.deep.equal([3, 9])
        expect(await collect(store.readStream('missing'))).to.deep.equal([])
        const [e] = await collect(store.readStream('even', { fromVersion: 3, limit: 1 }))
        expect(e).to.deep.include({ stream: 'even', version: 3, position: 6 })
      })

      test('pages through more events than one page holds', async (store) => {
        const n = 2500
        await store.append(
          's',
          Array.from({ length: n }, (_, i) => ev(i % 1000 === 0 ? 'Mark' : 'T', i)),
        )
        expect((await collect(store.read())).length).to.equal(n)
        expect(data(await collect(store.read({ types: ['Mark'] })))).to.deep.equal([0, 1000, 2000])
        const back = await collect(store.read({ direction: 'backward', from: 2400 }))
        expect(back.length).to.equal(2400)
        expect(back[2399]?.position).to.equal(1)
      })
    })

    describe('bad input', () => {
      for (const c of badInputCases) {
        test(
          `rejects ${c.name} with VALIDATION at ${c.path}, writing nothing`,
          async (store) => {
            await store.append('s', [ev('Seed')])
            const err = await throwsWith(() => c.call(store), 'VALIDATION')
            expect(err.path).to.equal(c.path)
            expect(err.reason).to.be.a('string').and.not.equal('')
            expect(await store.head()).to.equal(1)
            expect(await store.streamVersion('s')).to.equal(1)
          },
          { maxEventBytes: 4096 },
        )
      }

      test(
        'accepts an event exactly at the size limit',
        async (store) => {
          // ["T",<data>,{}] as JSON: 9 bytes of framing around the data string's quotes.
          const data = 'x'.repeat(4096 - '["T","",{}]'.length)
          await store.append('s', [ev('T', data)])
          await rejectsWith(store.append('s', [ev('T', data + 'y')]), 'VALIDATION')
          expect(await store.head()).to.equal(1)
        },
        { maxEventBytes: 4096 },
      )
    })

    describe('close', () => {
      it('rejects every call after close with STORE_CLOSED', async () => {
        const store = await subject.open()
        await store.append('s', [ev('A')])
        await store.close()
        await rejectsWith(store.append('s', [ev('B')]), 'STORE_CLOSED')
        await throwsWith(() => store.read(), 'STORE_CLOSED')
        await rejectsWith(store.head(), 'STORE_CLOSED')
        await subject.dispose?.(store)
      })

      it('lets appends already issued finish before closing', async () => {
        const store = await subject.open()
        const pending = Array.from({ length: 20 }, (_, i) => store.append('s', [ev('A', i)]))
        const closing = store.close()
        const results = await Promise.all(pending)
        await closing
        expect(results.map((r) => r.version)).to.deep.equal(pending.map((_, i) => i + 1))
        await subject.dispose?.(store)
      })
    })

    describe('subscribe', () => subscribeContract(test))

    propertyTest(subject, it)
  })
}
