import type { Aggregate } from './aggregates.ts'
import { fixedWindowOperator } from './fixed-windows.ts'
import type { Operator } from './operator.ts'
import { sessionWindowOperator } from './session-windows.ts'
import { slidingWindowOperator } from './sliding-windows.ts'
import { invalid } from './validate.ts'
import type { WindowResult, WindowSpec } from './windows.ts'

/**
 * A window definition and an aggregate as a pure {@link Operator}: what `.window(spec).aggregate(agg)`
 * runs, usable on its own (e.g. in tests) with `step` and `advance`.
 *
 * @example
 * ```ts
 * const op = windowOperator(tumbling({ size: 10 }), count())
 * const cause = { id: 'e1', correlationId: 'e1' }
 * const { state } = op.step(op.initial(), { key: 'a', time: 3, value: null, cause }, Number.NEGATIVE_INFINITY)
 * op.advance(state, 10, 'a').outputs[0]?.value // { key: 'a', start: 0, end: 10, value: 1, count: 1, revision: 0 }
 * ```
 */
export function windowOperator<T, A, R>(spec: WindowSpec<T>, agg: Aggregate<T, A, R>): Operator<T, WindowResult<R>> {
  switch (spec.kind) {
    case 'tumbling':
    case 'hopping':
      return fixedWindowOperator(spec, agg)
    case 'sliding':
      return slidingWindowOperator(spec, agg.unit === undefined ? withMerge(spec.kind, agg) : agg)
    case 'session':
      return sessionWindowOperator(spec, withMerge(spec.kind, agg))
  }
}

function withMerge<T, A, R>(kind: string, agg: Aggregate<T, A, R>): Aggregate<T, A, R> & { merge(a: A, b: A): A } {
  if (agg.merge === undefined) {
    throw invalid('aggregate', `${kind} windows need an aggregate with merge (${agg.kind} has none)`)
  }
  return {
    kind: agg.kind,
    init: () => agg.init(),
    add: (acc, item) => agg.add(acc, item),
    merge: (a, b) => (agg.merge as (a: A, b: A) => A).call(agg, a, b),
    result: (acc) => agg.result(acc),
  }
}
