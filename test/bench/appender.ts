import type { ItemAdded } from './payload.ts'

/**
 * The one write operation every workload needs, implemented once on raw IndexedDB and once on
 * Brook, so the workloads themselves are shared and differ in nothing else.
 */
export interface Appender {
  /** Writes `events` to `stream` in one transaction; resolves once it committed. */
  append(stream: string, events: readonly ItemAdded[]): Promise<void>
  /** Closes the connection (not timed). */
  close(): Promise<void>
}
