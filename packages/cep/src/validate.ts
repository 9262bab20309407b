import { BrookError } from '@brook/core'

/**
 * A `VALIDATION` error at `path`, the one way every definition mistake in this package is reported.
 *
 * @example
 * ```ts
 * throw invalid('tumbling.size', 'must be at least 1 (got -5)')
 * ```
 */
export function invalid(path: string, reason: string): BrookError {
  return BrookError.create('VALIDATION', `${path}: ${reason}`, { path, reason })
}

/**
 * Checks that `value` is a plain options object holding only `allowed` keys; a misspelt or
 * misplaced option is an error rather than silently ignored. `hints` explain known mistakes.
 *
 * @example
 * ```ts
 * const o = readOptions(input, 'tumbling', ['size', 'offset'])
 * ```
 */
export function readOptions(
  value: unknown,
  path: string,
  allowed: readonly string[],
  hints: Readonly<Record<string, string>> = {},
): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(path, 'must be an options object')
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw invalid(`${path}.${key}`, hints[key] ?? `unknown option (expected one of ${allowed.join(', ')})`)
    }
  }
  return value as Record<string, unknown>
}

/**
 * A whole number of milliseconds (or events) of at least `min`; `fallback` when absent, if given.
 *
 * @example
 * ```ts
 * const size = wholeNumber(o.size, 'tumbling.size', 1)
 * const lateness = wholeNumber(o.allowedLateness, 'tumbling.allowedLateness', 0, 0)
 * ```
 */
export function wholeNumber(value: unknown, path: string, min: number, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw invalid(path, `must be a whole number (got ${describe(value)})`)
  }
  if (value < min) throw invalid(path, `must be at least ${min} (got ${value})`)
  return value
}

/**
 * A finite number, or `undefined` when absent and `optional`.
 *
 * @example
 * ```ts
 * const above = finiteNumber(o.above, 'thresholdAlert.above', true)
 * ```
 */
export function finiteNumber(value: unknown, path: string, optional: true): number | undefined
export function finiteNumber(value: unknown, path: string, optional?: false): number
export function finiteNumber(value: unknown, path: string, optional = false): number | undefined {
  if (value === undefined && optional) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalid(path, `must be a finite number (got ${describe(value)})`)
  }
  return value
}

/**
 * A function, or `undefined` when absent and `optional`.
 *
 * @example
 * ```ts
 * const time = fn<(e: RecordedEvent) => number>(o.time, 'sliding.time', true)
 * ```
 */
export function fn<F>(value: unknown, path: string, optional: true): F | undefined
export function fn<F>(value: unknown, path: string, optional?: false): F
export function fn<F>(value: unknown, path: string, optional = false): F | undefined {
  if (value === undefined && optional) return undefined
  if (typeof value !== 'function') throw invalid(path, `must be a function (got ${describe(value)})`)
  return value as F
}

/**
 * A non-empty string.
 *
 * @example
 * ```ts
 * const name = text(input, 'pipeline.name')
 * ```
 */
export function text(value: unknown, path: string): string {
  if (typeof value !== 'string' || value === '')
    throw invalid(path, `must be a non-empty string (got ${describe(value)})`)
  return value
}

function describe(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (typeof value === 'string') return JSON.stringify(value)
  if (value === null) return 'null'
  return typeof value
}
