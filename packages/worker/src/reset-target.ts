import * as v from 'valibot'

/**
 * Where a consumer reset may go: a position (the first event to handle again; state kept)
 * or `'start'` (state cleared). Checked on the page and again in the worker.
 */
export const ResetTarget = v.union(
  [v.pipe(v.number(), v.safeInteger(), v.minValue(1)), v.literal('start')],
  "must be a position >= 1 or 'start'",
)
