/**
 * The benchmark's projections (@brook/projections), shared by the worker modules that build
 * them and the pages that check or show them (so nothing here touches the DOM):
 * - `foldProjection`: the consumer cases' fold (fold.ts) as a keyed projection, for the
 *   rebuild case (consumers.ts): per stream, how many events and the sum of qty x price.
 * - `latestProjection`: per stream, the last event's stamp, for the append -> Lit render
 *   latency path (latency.ts, lit-view.ts).
 */
import { defineProjection, projectionConsumerId } from '@brook/projections'
import { foldValue, type FoldTotals } from './fold.ts'
import { EVENT_TYPE, type ItemAdded } from './payload.ts'

/** The rebuild case's projection when its module URL names none. */
export const FOLD_PROJECTION = 'bench-fold'

/** Every benchmark projection is at version 1: a rebuild is timed from empty state instead. */
export const PROJECTION_VERSION = 1

type Events = { [EVENT_TYPE]: ItemAdded }

/** The fold of fold.ts, keyed by stream: its state rows are `s:<stream>` (plus `$ready`). */
export const foldProjection = (name: string) =>
  defineProjection<FoldTotals, Events>({
    name,
    version: PROJECTION_VERSION,
    initial: { count: 0, sum: 0 },
    key: (e) => e.stream,
    on: { [EVENT_TYPE]: (s, e) => ({ count: s.count + 1, sum: s.sum + foldValue(e) }) },
  })

/** A latency event's data: the usual payload plus its number and the time tab A started it. */
export type Stamped = ItemAdded & { seq: number; sentAt: number }

/** What `latestProjection` keeps per stream. `position` names the change notice that carried it. */
export type Latest = { n: number; seq: number; sentAt: number; position: number }

export const LATEST_PROJECTION = 'bench-latest'

export type LatestEvents = { [EVENT_TYPE]: Stamped }

export const latestProjection = defineProjection<Latest, LatestEvents>({
  name: LATEST_PROJECTION,
  version: PROJECTION_VERSION,
  initial: { n: 0, seq: -1, sentAt: 0, position: 0 },
  key: (e) => e.stream,
  on: {
    [EVENT_TYPE]: (s, e) => ({ n: s.n + 1, seq: e.data.seq, sentAt: e.data.sentAt, position: e.position }),
  },
})

/** The consumer that builds projection `name` (its checkpoint and state rows): `projection:<name>@1`. */
export const projectionId = (name: string) => projectionConsumerId(name, PROJECTION_VERSION)
