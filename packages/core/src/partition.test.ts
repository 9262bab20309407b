import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { partitionOf } from './partition.ts'

describe('partitionOf', () => {
  it('is stable and in range', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 64 }), (stream, n) => {
        const p = partitionOf(stream, n)
        expect(p).toBe(partitionOf(stream, n))
        expect(Number.isInteger(p) && p >= 0 && p < n).toBe(true)
      }),
    )
  })

  it('spreads streams over partitions', () => {
    const counts = [0, 0, 0, 0]
    for (let i = 0; i < 4000; i++) {
      const p = partitionOf(`device-${i}`, 4)
      counts[p] = (counts[p] ?? 0) + 1
    }
    for (const c of counts) expect(c).toBeGreaterThan(800)
  })

  it('is pinned: these values must never change (stored checkpoints depend on them)', () => {
    expect(['a', 'device-1', 'cart-42', ''].map((s) => partitionOf(s, 8))).toEqual([4, 1, 4, 5])
  })
})
