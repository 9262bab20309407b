import type { ProgressRecord } from './history.ts'

export interface Interval {
  actor: string
  start: number
  end: number
}

const LEADING = new Set(['running', 'paused'])

/**
 * Leadership intervals from consumer progress reports. Each actor is one consumer
 * incarnation; it leads from its first running report until it reports another state, or,
 * if a fault ended it, until the later of the fault and its last report (a report sent
 * after the fault was issued proves it still ran then).
 *
 * @example
 * ```ts
 * const overlaps = overlapping(intervals(history.progress, faults, Date.now()))
 * ```
 */
export function intervals(
  progress: readonly ProgressRecord[],
  faultAt: ReadonlyMap<string, number>,
  now: number,
): Interval[] {
  const byActor = new Map<string, ProgressRecord[]>()
  for (const p of progress) byActor.set(p.actor, [...(byActor.get(p.actor) ?? []), p])
  const out: Interval[] = []
  for (const [actor, list] of byActor) {
    list.sort((a, b) => a.t - b.t)
    const fault = faultAt.get(actor)
    let start: number | undefined
    let lastLeading = 0
    for (const p of list) {
      if (LEADING.has(p.state)) {
        start ??= p.t
        lastLeading = p.t
      } else if (start !== undefined) {
        // A report after the fault comes from a later life of the page (e.g. restored from
        // the back/forward cache): the lead ended at the fault, or its last leading report.
        out.push({ actor, start, end: fault !== undefined && p.t > fault ? Math.max(fault, lastLeading) : p.t })
        start = undefined
      }
    }
    if (start !== undefined) out.push({ actor, start, end: fault === undefined ? now : Math.max(fault, lastLeading) })
  }
  return out
}

/** Pairs of intervals of different actors that overlap in time. */
export function overlapping(list: readonly Interval[]): [Interval, Interval][] {
  const out: [Interval, Interval][] = []
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) {
      const a = list[i] as Interval
      const b = list[j] as Interval
      if (a.actor !== b.actor && a.start < b.end && b.start < a.end) out.push([a, b])
    }
  }
  return out
}

/** The first time after `t` that an actor other than those in `except` reported leading. */
export function takeoverAfter(
  progress: readonly ProgressRecord[],
  t: number,
  except: ReadonlySet<string>,
): number | undefined {
  let best: number | undefined
  for (const p of progress) {
    if (p.t >= t && LEADING.has(p.state) && !except.has(p.actor) && (best === undefined || p.t < best)) best = p.t
  }
  return best
}
