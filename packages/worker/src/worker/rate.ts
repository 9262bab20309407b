/**
 * Events per second over the last few seconds, for status displays.
 *
 * @example
 * ```ts
 * const rate = createRate()
 * rate.add(100)
 * rate.perSecond()
 * ```
 */
export function createRate(windowMs = 5000) {
  const samples: { at: number; count: number }[] = []
  const trim = (now: number) => {
    while (samples.length > 0 && (samples[0]?.at ?? now) < now - windowMs) samples.shift()
  }
  return {
    add(count: number) {
      const now = Date.now()
      samples.push({ at: now, count })
      trim(now)
    },
    perSecond(): number {
      const now = Date.now()
      trim(now)
      const total = samples.reduce((sum, s) => sum + s.count, 0)
      const first = samples[0]
      if (first === undefined) return 0
      return Math.round((total * 1000) / Math.max(1000, now - first.at))
    },
  }
}
