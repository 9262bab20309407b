import type { EventStore, NewEvent } from '@brook/core'

/** One kind of bad input, the call that makes it, and the path its error must name. */
export interface BadInputCase {
  name: string
  path: string
  call(store: EventStore): unknown
}

class Money {
  constructor(readonly cents: number) {}
}

const cyclic: Record<string, unknown> = { a: 1 }
cyclic.self = cyclic

const withGetter = Object.defineProperty({}, 'lazy', { get: () => 1, enumerable: true })

const one = (data: unknown): NewEvent[] => [{ type: 'T', data }]
const append = (data: unknown) => (s: EventStore) => s.append('s', one(data))
// Bypass the types on purpose: these are the calls plain JavaScript callers can make.
const raw = (s: EventStore) => s as unknown as Record<string, (...args: unknown[]) => unknown>

/**
 * Every shape of bad input the contract rejects with `VALIDATION` before writing (for a
 * store opened with `maxEventBytes: 4096`).
 *
 * @example
 * ```ts
 * for (const c of badInputCases) await rejectsWith(Promise.resolve().then(() => c.call(store)), 'VALIDATION')
 * ```
 */
export const badInputCases: readonly BadInputCase[] = [
  { name: 'a function in data', path: 'events[0].data.fn', call: append({ fn: () => 1 }) },
  { name: 'a symbol value', path: 'events[0].data', call: append(Symbol('x')) },
  { name: 'a bigint', path: 'events[0].data.n', call: append({ n: 10n }) },
  { name: 'undefined in data', path: 'events[0].data.maybe', call: append({ maybe: undefined }) },
  { name: 'undefined as data', path: 'events[0].data', call: append(undefined) },
  { name: 'NaN', path: 'events[0].data[1]', call: append([1, Number.NaN]) },
  { name: 'Infinity', path: 'events[0].data.x', call: append({ x: Number.POSITIVE_INFINITY }) },
  { name: 'a Date', path: 'events[0].data.at', call: append({ at: new Date(0) }) },
  { name: 'a Map', path: 'events[0].data', call: append(new Map([[1, 2]])) },
  { name: 'a class instance', path: 'events[0].data.price', call: append({ price: new Money(5) }) },
  { name: 'a typed array', path: 'events[0].data.bytes', call: append({ bytes: new Uint8Array(2) }) },
  { name: 'a cyclic object', path: 'events[0].data.self', call: append(cyclic) },
  { name: 'a getter', path: 'events[0].data.lazy', call: append(withGetter) },
  { name: 'a symbol key', path: 'events[0].data', call: append({ [Symbol('k')]: 1 }) },
  { name: 'a sparse array', path: 'events[0].data[1]', call: append([1, , 3]) }, // eslint-disable-line no-sparse-arrays
  { name: 'a __proto__ key', path: 'events[0].data.__proto__', call: append(JSON.parse('{"__proto__":{"x":1}}')) },
  { name: 'a lone surrogate', path: 'events[0].data.s', call: append({ s: 'a\uD800b' }) },
  { name: 'nesting 101 deep', path: 'events[0].data' + '.n'.repeat(100), call: append(deep(101)) },
  { name: 'an event over the size limit', path: 'events[0]', call: append('x'.repeat(5000)) },
  { name: 'a missing type', path: 'events[0].type', call: (s) => raw(s).append?.('s', [{ data: 1 }]) },
  { name: 'a non-string type', path: 'events[0].type', call: (s) => raw(s).append?.('s', [{ type: 7, data: 1 }]) },
  { name: 'an empty type', path: 'events[0].type', call: (s) => s.append('s', [{ type: '', data: 1 }]) },
  { name: 'missing data', path: 'events[0].data', call: (s) => raw(s).append?.('s', [{ type: 'T' }]) },
  {
    name: 'an unknown event key',
    path: 'events[0].payload',
    call: (s) => raw(s).append?.('s', [{ type: 'T', data: 1, payload: 2 }]),
  },
  {
    name: 'meta that is not an object',
    path: 'events[0].meta',
    call: (s) => raw(s).append?.('s', [{ type: 'T', data: 1, meta: [1] }]),
  },
  {
    name: 'a Date in meta',
    path: 'events[0].meta.at',
    call: (s) => s.append('s', [{ type: 'T', data: 1, meta: { at: new Date() } }]),
  },
  { name: 'an empty id', path: 'events[0].id', call: (s) => s.append('s', [{ type: 'T', data: 1, id: '' }]) },
  {
    name: 'an event that is not an object',
    path: 'events[1]',
    call: (s) => raw(s).append?.('s', [{ type: 'T', data: 1 }, 'T']),
  },
  { name: 'an empty batch', path: 'events', call: (s) => s.append('s', []) },
  { name: 'events that are not an array', path: 'events', call: (s) => raw(s).append?.('s', { type: 'T', data: 1 }) },
  { name: 'an empty stream name', path: 'stream', call: (s) => s.append('', one(1)) },
  { name: 'an over-long stream name', path: 'stream', call: (s) => s.append('s'.repeat(257), one(1)) },
  { name: 'a stream name with a control character', path: 'stream', call: (s) => s.append('a\nb', one(1)) },
  { name: 'a non-string stream name', path: 'stream', call: (s) => raw(s).append?.(42, one(1)) },
  {
    name: 'an unknown append option',
    path: 'options.expectedversion',
    call: (s) => raw(s).append?.('s', one(1), { expectedversion: 1 }),
  },
  {
    name: 'a negative expectedVersion',
    path: 'options.expectedVersion',
    call: (s) => s.append('s', one(1), { expectedVersion: -1 }),
  },
  {
    name: 'a fractional expectedVersion',
    path: 'options.expectedVersion',
    call: (s) => s.append('s', one(1), { expectedVersion: 1.5 }),
  },
  {
    name: 'an unknown expectedVersion word',
    path: 'options.expectedVersion',
    call: (s) => raw(s).append?.('s', one(1), { expectedVersion: 'latest' }),
  },
  { name: 'an empty commit', path: 'entries', call: (s) => s.commit([]) },
  {
    name: 'bad data in a later commit entry',
    path: 'entries[1].events[0].data',
    call: (s) =>
      s.commit([
        { stream: 'a', events: one(1) },
        { stream: 'b', events: one(() => 1) },
      ]),
  },
  {
    name: 'an unknown commit entry key',
    path: 'entries[0].expected',
    call: (s) => raw(s).commit?.([{ stream: 'a', events: one(1), expected: 1 }]),
  },
  { name: 'an unknown read option', path: 'options.start', call: (s) => raw(s).read?.({ start: 1 }) },
  { name: 'a read from position 0', path: 'options.from', call: (s) => s.read({ from: 0 }) },
  { name: 'a negative read limit', path: 'options.limit', call: (s) => s.read({ limit: -1 }) },
  {
    name: 'an unknown read direction',
    path: 'options.direction',
    call: (s) => raw(s).read?.({ direction: 'sideways' }),
  },
  { name: 'a readStream of an empty stream name', path: 'stream', call: (s) => s.readStream('') },
  { name: 'a streamVersion of a non-string', path: 'stream', call: (s) => raw(s).streamVersion?.(null) },
]

function deep(levels: number): unknown {
  let value: unknown = 1
  for (let i = 0; i < levels; i++) value = { n: value }
  return value
}
