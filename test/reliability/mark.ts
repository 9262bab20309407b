import { waitUntil } from '../e2e/browser.ts'
import type { Tab } from '../e2e/tab.ts'

/**
 * Waits, in the page, until store `name`'s high-water mark in OPFS reaches `head`. The
 * mark trails the log (at most one write per 250 ms), so a fault meant to be detected as a
 * regression must come after it has caught up; else the test would depend on speed.
 *
 * @example
 * ```ts
 * await markReached(page, 'shop', 50)
 * ```
 */
export async function markReached(page: Pick<Tab, 'evaluate'>, name: string, head: number): Promise<void> {
  await waitUntil(
    page,
    async ({ store, at }) => {
      try {
        const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('brook-marks')
        const file = await (await dir.getFileHandle(`${encodeURIComponent(store)}.json`)).getFile()
        return ((JSON.parse(await file.text()) as { head?: number }).head ?? 0) >= at
      } catch {
        return false // not written yet
      }
    },
    { store: name, at: head },
    10_000,
  )
}
