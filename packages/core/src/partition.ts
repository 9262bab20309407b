/**
 * The partition (0..partitions-1) that owns `stream` in a consumer group: FNV-1a over the
 * name's UTF-16 code units. Stable across tabs, workers and releases, so a stream always
 * lands in the same partition and its order is kept.
 *
 * @example
 * ```ts
 * partitionOf('device-17', 4) // always the same number in 0..3
 * ```
 */
export function partitionOf(stream: string, partitions: number): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < stream.length; i++) {
    hash ^= stream.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash % partitions
}
