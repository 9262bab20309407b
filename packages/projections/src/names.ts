import * as v from 'valibot'

// Where a projection lives in a store: its consumer ids, state keys and bus topic. Shared by
// the worker that writes and the pages that read, so both agree by construction.

/** The consumer that builds version `version` of projection `name`. */
export const consumerId = (name: string, version: number): string => `projection:${name}@${version}`

/** Where that version's snapshots are kept (apart from its state, so a reset keeps them). */
export const snapshotsId = (name: string, version: number): string => `${consumerId(name, version)}#snapshots`

/**
 * The version that consumer `id` builds or keeps snapshots for, if it belongs to projection
 * `name` (`projection:<name>@<version>`, optionally `#snapshots`); otherwise undefined.
 */
export function versionOf(name: string, id: string): number | undefined {
  const prefix = consumerId(name, 0).slice(0, -1)
  if (!id.startsWith(prefix)) return undefined
  const match = /^([1-9][0-9]*)(#snapshots)?$/.exec(id.slice(prefix.length))
  return match === null ? undefined : Number(match[1])
}

/** State key of the read model for `key` (`''` for an unkeyed projection). */
export const stateKey = (key: string): string => `s:${key}`
export const STATE_PREFIX = 's:'

/** Present once this version caught up with the log: readers switch to it then. */
export const READY_KEY = '$ready'

/** Snapshot keys sort by position. */
export const snapshotKey = (position: number): string => `p:${String(position).padStart(16, '0')}`

/** Bus topic on which the builder says what changed. */
export const topicOf = (name: string): string => `$projection:${name}`

/**
 * What the builder publishes after each commit. Validated on receipt: the sender may be
 * another tab running other code. `keys`: the changed keys, or `null` when too many to list
 * (readers re-read what they show).
 */
export const ChangeNoticeSchema = v.object({
  version: v.number(),
  position: v.number(),
  keys: v.nullable(v.array(v.string())),
  ready: v.boolean(),
})
export type ChangeNotice = v.InferOutput<typeof ChangeNoticeSchema>

export interface Snapshot {
  position: number
  /** Whether the version had caught up when the snapshot was taken. */
  ready: boolean
  states: [string, unknown][]
}
