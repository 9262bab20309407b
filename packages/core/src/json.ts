import { BrookError } from './errors.ts'
import type { JsonValue } from './types.ts'

/** Deeper nesting than this is rejected: it would overflow recursive readers elsewhere. */
export const MAX_JSON_DEPTH = 100

// A lone surrogate cannot be encoded as UTF-8, so it could never be synced to a server.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

function invalid(path: string, reason: string): BrookError {
  return BrookError.create('VALIDATION', `${path}: ${reason}`, { path, reason })
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value !== 'object') return typeof value
  const proto: unknown = Object.getPrototypeOf(value)
  const ctor = (proto as { constructor?: { name?: unknown } } | null)?.constructor?.name
  return typeof ctor === 'string' && ctor !== '' ? `a ${ctor}` : 'an exotic object'
}

/**
 * Returns a fresh copy of `value` that is plain JSON, or throws `VALIDATION` naming the
 * first offending path. Rejected, rather than silently changed by `structuredClone` or
 * `JSON.stringify`: `undefined`, functions, symbols, bigints, non-finite numbers, class
 * instances (Date, Map, DOM nodes, …), accessors, sparse arrays, cycles, `__proto__` keys,
 * lone surrogates and nesting deeper than {@link MAX_JSON_DEPTH}.
 *
 * @example
 * ```ts
 * toPlainJson({ at: new Date() }, 'data') // throws VALIDATION at 'data.at'
 * ```
 */
export function toPlainJson(value: unknown, path: string): JsonValue {
  return copy(value, path, 0, new Set())
}

function copy(value: unknown, path: string, depth: number, ancestors: Set<object>): JsonValue {
  switch (typeof value) {
    case 'string':
      if (LONE_SURROGATE.test(value)) throw invalid(path, 'string contains a lone surrogate')
      return value
    case 'boolean':
      return value
    case 'number':
      if (!Number.isFinite(value)) throw invalid(path, `${String(value)} is not a JSON number`)
      return value === 0 ? 0 : value // -0 becomes 0, as JSON would make it
    case 'object':
      break
    default:
      throw invalid(path, `${typeof value} is not JSON; omit the key or use null`)
  }
  if (value === null) return null
  if (depth >= MAX_JSON_DEPTH) throw invalid(path, `nested deeper than ${MAX_JSON_DEPTH} levels`)
  if (ancestors.has(value)) throw invalid(path, 'cyclic reference')
  ancestors.add(value)
  try {
    if (Array.isArray(value)) return copyArray(value, path, depth, ancestors)
    const proto: unknown = Object.getPrototypeOf(value)
    if (proto !== Object.prototype && proto !== null) {
      throw invalid(path, `${describe(value)} is not a plain object; convert it to JSON first`)
    }
    if (Object.getOwnPropertySymbols(value).length > 0) {
      throw invalid(path, 'symbol keys are not JSON')
    }
    const out: Record<string, JsonValue> = {}
    for (const key of Object.keys(value)) {
      const at = `${path}.${key}`
      if (key === '__proto__') throw invalid(at, 'the key __proto__ is not allowed')
      const desc = Object.getOwnPropertyDescriptor(value, key)
      if (desc === undefined || !('value' in desc)) throw invalid(at, 'accessor properties are not allowed')
      out[key] = copy(desc.value, at, depth + 1, ancestors)
    }
    return out
  } finally {
    ancestors.delete(value)
  }
}

function copyArray(value: unknown[], path: string, depth: number, ancestors: Set<object>): JsonValue[] {
  if (Object.getPrototypeOf(value) !== Array.prototype) {
    throw invalid(path, `${describe(value)} is not a plain array`)
  }
  const out: JsonValue[] = new Array<JsonValue>(value.length)
  for (let i = 0; i < value.length; i++) {
    if (!(i in value)) throw invalid(`${path}[${i}]`, 'sparse arrays are not JSON')
    out[i] = copy(value[i], `${path}[${i}]`, depth + 1, ancestors)
  }
  return out
}

/**
 * Number of bytes `s` takes as UTF-8.
 *
 * @example
 * ```ts
 * utf8Length('né') // 3
 * ```
 */
export function utf8Length(s: string): number {
  let bytes = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) bytes += 1
    else if (c < 0x800) bytes += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      bytes += 4 // a surrogate pair is one 4-byte code point
      i++
    } else bytes += 3
  }
  return bytes
}

/**
 * A deep copy of a value already known to be JSON (checked by {@link toPlainJson}). Much
 * faster than `structuredClone` for the small objects consumers keep as state.
 *
 * @example
 * ```ts
 * const copy = copyJson({ total: 3, items: ['a'] })
 * ```
 */
export function copyJson<T extends JsonValue>(value: T): T {
  if (typeof value !== 'object' || value === null) return value
  if (Array.isArray(value)) return value.map((item) => copyJson(item)) as T
  const out: Record<string, JsonValue> = {}
  for (const key of Object.keys(value)) out[key] = copyJson(value[key] as JsonValue)
  return out as T
}
