/**
 * A 1-based, gap-free index into one log. Branded so a stream `version` or a count can't be
 * passed where a log position is meant.
 */
export type Position = number & { readonly __brand: 'Position' }

/**
 * Companion of the {@link Position} type.
 *
 * @example
 * ```ts
 * const from = Position.of(42)
 * Position.compare(a, b) // negative, zero or positive
 * ```
 */
export const Position = {
  /** Before the first event: `head()` of an empty log. */
  none: 0 as Position,

  /** Brands a number, checking it is a non-negative safe integer. */
  of(n: number): Position {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new RangeError(`a position is a non-negative safe integer, got ${String(n)}`)
    }
    return n as Position
  },

  /** Is `n` a valid position (0 included)? */
  is(n: unknown): n is Position {
    return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0
  },

  compare(a: Position, b: Position): number {
    return a - b
  },

  next(p: Position): Position {
    return (p + 1) as Position
  },
} as const
