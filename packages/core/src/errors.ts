/**
 * Every failure Brook reports is a {@link BrookError} with a string `code` and structured
 * fields. Codes are strings (not numbers, not enums) so they read well in logs and survive
 * `structuredClone`, `postMessage` and JSON unchanged.
 */

/** The codes Brook uses, as an `as const` object (no enums: house style). */
export const ErrorCode = {
  /** Bad input: caught before anything was written. Fields: `path`, `reason`. */
  VALIDATION: 'VALIDATION',
  /** `expectedVersion` did not match. Fields: `stream`, `expected`, `actual`. */
  CONCURRENCY: 'CONCURRENCY',
  /** An event id is already recorded with other content (or in a different batch). Fields: `id`, `stream`, `reason`. */
  ID_CONFLICT: 'ID_CONFLICT',
  /** The browser refused the write for lack of space. Nothing was written. */
  STORAGE_FULL: 'STORAGE_FULL',
  /** The store was closed (by `close()`, or because another tab upgraded the schema). */
  STORE_CLOSED: 'STORE_CLOSED',
  /** Opening needs a schema upgrade that another open connection keeps blocking. */
  UPGRADE_BLOCKED: 'UPGRADE_BLOCKED',
  /** The database on disk was written by a newer version of Brook than this code. */
  APP_OUTDATED: 'APP_OUTDATED',
  /** The storage failed in a way Brook cannot classify further. Field: `reason`. */
  STORAGE_UNAVAILABLE: 'STORAGE_UNAVAILABLE',
  /** App code called by Brook (a subscriber, a handler) threw. Fields: `reason`, `where`. */
  HANDLER_FAILED: 'HANDLER_FAILED',
  /** A consumer's worker failed to load, threw at start, or was terminated under a call. Field: `reason`. */
  WORKER_FAILED: 'WORKER_FAILED',
  /**
   * The log is behind what this origin had committed (storage cleared, evicted, or lost
   * writes): nothing was opened. Fields: `expected` (the remembered head), `actual`, `reason`.
   */
  LOG_REGRESSED: 'LOG_REGRESSED',
  /** The browser dropped the database under an open store (site data cleared, eviction). Field: `reason`. */
  STORAGE_LOST: 'STORAGE_LOST',
} as const

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

/** The structured fields each code carries, beside `code` and `message`. */
export interface ErrorFields {
  VALIDATION: { path: string; reason: string }
  CONCURRENCY: { stream: string; expected: string | number; actual: number }
  ID_CONFLICT: { id: string; stream: string; reason: string }
  STORAGE_FULL: { reason: string }
  STORE_CLOSED: { reason: string }
  UPGRADE_BLOCKED: { reason: string }
  APP_OUTDATED: { reason: string }
  STORAGE_UNAVAILABLE: { reason: string }
  HANDLER_FAILED: { reason: string; where: string }
  WORKER_FAILED: { reason: string }
  LOG_REGRESSED: { expected: number; actual: number; reason: string }
  STORAGE_LOST: { reason: string }
}

/** A {@link BrookError} narrowed to one code, with that code's fields typed. */
export type BrookErrorOf<C extends ErrorCode> = BrookError & { readonly code: C } & Readonly<ErrorFields[C]>

/** The plain-data form of a {@link BrookError}: what crosses a worker or channel boundary. */
export interface BrookErrorData {
  readonly brookError: 1
  readonly code: ErrorCode
  readonly message: string
  readonly fields: Readonly<Record<string, unknown>>
}

/**
 * The one error class of Brook.
 *
 * @example
 * ```ts
 * try {
 *   await store.append('cart-1', [event], { expectedVersion: 3 })
 * } catch (err) {
 *   if (isBrookError(err, 'CONCURRENCY')) console.log(err.expected, err.actual)
 *   else throw err
 * }
 * ```
 */
export class BrookError extends Error {
  override readonly name = 'BrookError'
  readonly code: ErrorCode
  readonly fields: Readonly<Record<string, unknown>>

  private constructor(code: ErrorCode, message: string, fields: Readonly<Record<string, unknown>>, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause })
    this.code = code
    this.fields = fields
    // Fields are also own properties so `err.expected` reads naturally.
    Object.assign(this, fields)
  }

  /**
   * Creates an error of one code with its fields.
   *
   * @example
   * ```ts
   * throw BrookError.create('VALIDATION', 'event type is missing', { path: 'events[0].type', reason: 'required' })
   * ```
   */
  static create<C extends ErrorCode>(
    code: C,
    message: string,
    fields: ErrorFields[C],
    cause?: unknown,
  ): BrookErrorOf<C> {
    return new BrookError(code, message, fields, cause) as BrookErrorOf<C>
  }

  /**
   * Rebuilds an error from {@link BrookError.toData} output, e.g. on the far side of a
   * worker boundary.
   *
   * @example
   * ```ts
   * const again = BrookError.fromData(err.toData())
   * ```
   */
  static fromData(data: BrookErrorData): BrookError {
    return new BrookError(data.code, data.message, data.fields)
  }

  /** Plain data that survives `structuredClone` and JSON. */
  toData(): BrookErrorData {
    return { brookError: 1, code: this.code, message: this.message, fields: { ...this.fields } }
  }

  toJSON(): BrookErrorData {
    return this.toData()
  }
}

/**
 * True when `err` is a {@link BrookError} (optionally: with this `code`), narrowing its fields.
 *
 * @example
 * ```ts
 * if (isBrookError(err, 'VALIDATION')) showProblem(err.path, err.reason)
 * ```
 */
export function isBrookError<C extends ErrorCode>(err: unknown, code: C): err is BrookErrorOf<C>
export function isBrookError(err: unknown): err is BrookError
export function isBrookError(err: unknown, code?: ErrorCode): boolean {
  return err instanceof BrookError && (code === undefined || err.code === code)
}

/**
 * True when `value` is the plain-data form of a BrookError.
 *
 * @example
 * ```ts
 * if (isBrookErrorData(msg.error)) throw BrookError.fromData(msg.error)
 * ```
 */
export function isBrookErrorData(value: unknown): value is BrookErrorData {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Partial<BrookErrorData>
  return (
    v.brookError === 1 &&
    typeof v.code === 'string' &&
    Object.values<string>(ErrorCode).includes(v.code) &&
    typeof v.message === 'string' &&
    typeof v.fields === 'object' &&
    v.fields !== null
  )
}
