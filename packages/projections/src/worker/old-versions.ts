import { leaseInUse } from '@brook/bus'
import { deleteConsumers, openStateReader, type StateReader } from '@brook/idb'
import { consumerLeaseName } from '@brook/worker/worker'
import { consumerId, versionOf } from '../names.ts'

/** What {@link dropOlderVersions} did: the consumer ids it deleted (a version's builder and
 * its snapshots), and the versions it kept. */
export interface DroppedVersions {
  dropped: string[]
  /** Older versions still in use: an instance of their builder runs or waits somewhere. */
  kept: number[]
}

/**
 * Deletes the rows (checkpoint, state, snapshots) of every version of projection `name`
 * older than `version` whose builder no context of the origin runs or waits to run. A tab
 * still on old code keeps its version until it closes; old code started later rebuilds it.
 * The builder of a version calls this once its version is ready.
 *
 * @example
 * ```ts
 * const { dropped, kept } = await dropOlderVersions('shop', 'carts', 3)
 * ```
 */
export async function dropOlderVersions(
  storeName: string,
  name: string,
  version: number,
  /** A reader of `storeName` to list the versions with (else one is opened and closed). */
  reader?: StateReader,
): Promise<DroppedVersions> {
  const own = reader ?? (await openStateReader(storeName))
  let ids: string[]
  try {
    ids = await own.consumers(consumerId(name, 0).slice(0, -1))
  } finally {
    if (reader === undefined) own.close()
  }
  const older = new Set(ids.map((id) => versionOf(name, id)).filter((v): v is number => v !== undefined && v < version))
  const dropped: string[] = []
  const kept: number[] = []
  for (const v of [...older].sort((a, b) => a - b)) {
    if (await leaseInUse(consumerLeaseName(storeName, consumerId(name, v)))) kept.push(v)
    else dropped.push(...ids.filter((id) => versionOf(name, id) === v))
  }
  if (dropped.length > 0) await deleteConsumers(storeName, dropped)
  return { dropped, kept }
}
