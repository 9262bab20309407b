import { readEventTime, type EventTimeOptions, type Operator } from './operator.ts'
import { orderedOperator } from './ordered.ts'
import {
  matcherFold,
  type Compiled,
  type Condition,
  type MatcherState,
  type PatternEntry,
  type PatternMatch,
} from './pattern-matcher.ts'
import { fn, invalid, readOptions, text, wholeNumber } from './validate.ts'

export type { Condition, PatternMatch }

/**
 * What a matched event may still take part in once a match is emitted:
 * - `'skip-past-last'` (default): nothing else. Every partial match that began at or before
 *   the match's last event is discarded; matching resumes with the next event. So matches
 *   never share events, and each event is in at most one match.
 * - `'no-skip'`: every partial match goes on; an event may be in many matches (one per start).
 *
 * @example
 * ```ts
 * pattern<Reading>({ afterMatch: 'no-skip' })
 * ```
 */
export type AfterMatch = 'skip-past-last' | 'no-skip'

/**
 * Options of a pattern: event time, out-of-orderness, after-match policy.
 *
 * @example
 * ```ts
 * const o: PatternOptions<Reading> = { time: (e) => e.data.at, outOfOrder: 1_000, afterMatch: 'no-skip' }
 * ```
 */
export interface PatternOptions<T> extends EventTimeOptions<T> {
  afterMatch?: AfterMatch
}

/**
 * A pattern before its first step.
 *
 * @example
 * ```ts
 * const start: PatternStart<Reading> = pattern<Reading>()
 * const hot = start.begin('hot', (e) => e.data.value > 90)
 * ```
 */
export interface PatternStart<T> {
  /** The first step: any event matching `condition` starts a partial match. */
  begin(name: string, condition: Condition<T>): Pattern<T>
}

/**
 * A pattern over one key's events in event-time order, usable as an {@link Operator}.
 * Conditions get the event and the events matched so far, by step name.
 *
 * @example
 * ```ts
 * const p: Pattern<Reading> = pattern<Reading>().begin('a', isA).next('b', isB).within(5_000)
 * ```
 */
export interface Pattern<T> extends Operator<T, PatternMatch<T>> {
  /** Sequence (strict contiguity): the very next event of the key must match, or the partial match fails. */
  next(name: string, condition: Condition<T>): Pattern<T>
  /** Followed-by (relaxed contiguity): the first later event that matches; others in between are skipped. */
  followedBy(name: string, condition: Condition<T>): Pattern<T>
  /**
   * Not-followed-by: no matching event may come before the next step (checked before it, on
   * the same event too); as the last step, none until `within` has elapsed since the start.
   */
  notFollowedBy(name: string, condition: Condition<T>): Pattern<T>
  /** All events of a match lie in `[start, start + ms)`; partial matches expire after that. */
  within(ms: number): Pattern<T>
}

function build<T>(options: PatternOptions<T>, spec: Compiled<T>): Pattern<T> {
  const names = new Set([...spec.steps.map((s) => s.name), ...spec.forbidden.map(([n]) => n)])
  const add = (method: string, name: string, condition: Condition<T>, strict: boolean): Pattern<T> => {
    const at = `pattern.${method}`
    if (names.has(text(name, `${at}(name)`)))
      throw invalid(`${at}(name)`, `step name ${JSON.stringify(name)} is used twice`)
    const cond = fn<Condition<T>>(condition, `${at}(condition)`)
    if (strict && spec.forbidden.length > 0) {
      throw invalid(at, 'a step after notFollowedBy must be followedBy (next would make the negation pointless)')
    }
    const step = { name, cond, strict, forbid: spec.forbidden.map(([, c]) => c) }
    return build(options, { ...spec, steps: [...spec.steps, step], forbidden: [] })
  }
  const ordered = orderedOperator<T, PatternEntry<T>, MatcherState<T>, PatternMatch<T>>(
    'pattern',
    readEventTime<T>(options as Record<string, unknown>, 'pattern'),
    (input) => [input.time, input.value, input.cause.id, input.cause.correlationId],
    matcherFold(spec),
  )
  return {
    ...ordered,
    validate() {
      if (spec.forbidden.length > 0 && spec.within === undefined) {
        throw invalid('pattern', 'a pattern ending in notFollowedBy needs within(ms): it says how long to wait')
      }
    },
    next: (name, condition) => add('next', name, condition, true),
    followedBy: (name, condition) => add('followedBy', name, condition, false),
    notFollowedBy(name, condition) {
      const at = 'pattern.notFollowedBy'
      if (names.has(text(name, `${at}(name)`)))
        throw invalid(`${at}(name)`, `step name ${JSON.stringify(name)} is used twice`)
      const forbidden: Compiled<T>['forbidden'] = [
        ...spec.forbidden,
        [name, fn<Condition<T>>(condition, `${at}(condition)`)],
      ]
      return build(options, { ...spec, forbidden })
    },
    within(ms) {
      if (spec.within !== undefined) throw invalid('pattern.within', 'is already set')
      return build(options, { ...spec, within: wholeNumber(ms, 'pattern.within', 1) })
    },
  }
}

/**
 * Starts a pattern: sequence (`next`), followed-by, not-followed-by and `within`, matched per
 * key over events in event-time order once the watermark passes them (events arriving after
 * that are late). Relaxed steps take the first matching event (skip till next match), so each
 * start event has at most one partial match. See {@link AfterMatch} for what a matched event
 * may still take part in. Matched events are kept in the consumer's state, so items must be JSON.
 *
 * @example
 * ```ts
 * const overheatThenFail = pattern<Reading>({ outOfOrder: 2_000 })
 *   .begin('hot', (e) => e.data.celsius > 90)
 *   .notFollowedBy('cooled', (e) => e.data.celsius < 70)
 *   .followedBy('failed', (e) => e.data.status === 'failed')
 *   .within(60_000)
 * pipeline('failures').from({ types: ['Reading'] }).keyBy((e) => e.stream).apply(overheatThenFail)
 *   .emit((m) => ({ stream: `incidents-${m.key}`, type: 'FailedAfterOverheating', data: { at: m.end } }))
 * ```
 */
export function pattern<T = unknown>(options: PatternOptions<T> = {}): PatternStart<T> {
  const o = readOptions(options, 'pattern', ['time', 'outOfOrder', 'afterMatch'], {
    within: 'use .within(ms) after the steps',
  })
  const afterMatch = o['afterMatch'] ?? 'skip-past-last'
  if (afterMatch !== 'skip-past-last' && afterMatch !== 'no-skip') {
    throw invalid('pattern.afterMatch', `must be 'skip-past-last' or 'no-skip' (got ${JSON.stringify(afterMatch)})`)
  }
  readEventTime(o, 'pattern')
  return {
    begin(name, condition) {
      const step = {
        name: text(name, 'pattern.begin(name)'),
        cond: fn<Condition<T>>(condition, 'pattern.begin(condition)'),
        strict: false,
        forbid: [],
      }
      return build(options, { steps: [step], forbidden: [], within: undefined, afterMatch })
    },
  }
}
