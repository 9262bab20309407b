import { utf8Length } from '@brook/core'

/** Size of one event as Brook counts it: UTF-8 JSON of `[type, data, meta]`. */
export const EVENT_BYTES = 200

/** The type of every benchmark event. */
export const EVENT_TYPE = 'ItemAdded'

/** The `data` of a benchmark event: a small domain object, as an app would record. */
export interface ItemAdded {
  sku: string
  qty: number
  priceCents: number
  note: string
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789'

/**
 * The data of event `i`: deterministic, so raw and Brook store the same bytes, and padded
 * with pseudo-random text to exactly {@link EVENT_BYTES}. Chromium compresses IndexedDB
 * values, so a constant filler would flatter whichever case stores more of it.
 */
export function makeData(i: number): ItemAdded {
  const data: ItemAdded = { sku: `sku-${i % 9973}`, qty: 1 + (i % 7), priceCents: 100 + ((i * 37) % 10_000), note: '' }
  const fixed = utf8Length(JSON.stringify([EVENT_TYPE, data, {}]))
  data.note = noise(i, EVENT_BYTES - fixed)
  return data
}

/** `count` events' data, built before a timer starts. */
export function makeDataset(count: number): ItemAdded[] {
  return Array.from({ length: count }, (_, i) => makeData(i))
}

// xorshift32 seeded by the index: cheap, repeatable, and not compressible to a few bytes.
function noise(seed: number, length: number): string {
  let x = Math.imul(seed + 1, 0x9e3779b1) || 1
  let out = ''
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out += ALPHABET[(x >>> 0) % ALPHABET.length]
  }
  return out
}
