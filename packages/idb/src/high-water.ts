import { BrookError } from '@brook/core'

/**
 * The log's high-water mark, kept OUTSIDE IndexedDB: the head and the id of the event there,
 * as this origin last committed them. IndexedDB can come back shorter or empty without an
 * error (site data cleared for IndexedDB only, eviction, a truncated or corrupted backing
 * file: docs/browser-behaviour.md); comparing the log with the mark on open turns that into a
 * typed `LOG_REGRESSED` instead of a silent loss.
 *
 * Kept in the origin private file system (OPFS), which windows and workers both reach. It
 * is written after commits, at most every {@link WRITE_EVERY_MS}: it may lag the log (a lag
 * only weakens the check), never lead it. Clearing ALL site data clears OPFS too: only a
 * server cursor can tell then.
 */
export interface HighWaterMark {
  head: number
  /** The id of the event at `head`: a log rebuilt to the same length is told apart. */
  id: string
}

export const WRITE_EVERY_MS = 250

const DIRECTORY = 'brook-marks'

const fileName = (store: string) => `${encodeURIComponent(store)}.json`

async function directory(): Promise<FileSystemDirectoryHandle | undefined> {
  try {
    const root = await navigator.storage.getDirectory()
    return await root.getDirectoryHandle(DIRECTORY, { create: true })
  } catch {
    return undefined // no OPFS here (an old browser, some private modes): no check
  }
}

/**
 * The mark of `store`, or `undefined` when none was written (or OPFS is unavailable).
 *
 * @example
 * ```ts
 * const mark = await readMark('shop') // { head: 1200, id: '0190…' }
 * ```
 */
export async function readMark(store: string): Promise<HighWaterMark | undefined> {
  const dir = await directory()
  if (dir === undefined) return undefined
  // A read that fails must not pass for "no mark" (that would skip the check and accept a
  // regressed log): another context replacing the file meanwhile can fail the read, so
  // try again; if it keeps failing, say so.
  let failure: unknown
  for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 20 * attempt))
    try {
      const file = await (await dir.getFileHandle(fileName(store))).getFile()
      return parseMark(await file.text())
    } catch (err) {
      // No file: no mark yet (asked twice, in case it was being replaced).
      if (err instanceof DOMException && err.name === 'NotFoundError' && attempt >= 1) return undefined
      failure = err
    }
  }
  const reason = `cannot read the high-water mark: ${String(failure)}`
  throw BrookError.create('STORAGE_UNAVAILABLE', `store ${store}: ${reason}`, { reason }, failure)
}

const READ_ATTEMPTS = 5

/**
 * The mark in a file's text; `undefined` for text that holds none: an empty file is what a
 * first write cut short leaves (the file is created before it is written).
 */
function parseMark(text: string): HighWaterMark | undefined {
  try {
    const value = JSON.parse(text) as Partial<HighWaterMark> | null
    return typeof value?.head === 'number' && typeof value.id === 'string'
      ? { head: value.head, id: value.id }
      : undefined
  } catch {
    return undefined
  }
}

/**
 * Writes the mark of `store` (the caller makes sure it never leads the log).
 *
 * @example
 * ```ts
 * await writeMark('shop', { head: 1200, id: '0190…' })
 * ```
 */
export async function writeMark(store: string, mark: HighWaterMark): Promise<void> {
  const dir = await directory()
  if (dir === undefined) return
  try {
    const writable = await (await dir.getFileHandle(fileName(store), { create: true })).createWritable()
    await writable.write(JSON.stringify(mark))
    await writable.close()
  } catch {
    // Another context writing the same file at once, or quota: the mark just lags.
  }
}

/**
 * Removes the mark of `store` (when the store itself is deleted on purpose).
 *
 * @example
 * ```ts
 * await forgetMark('shop')
 * ```
 */
export async function forgetMark(store: string): Promise<void> {
  const dir = await directory()
  await dir?.removeEntry(fileName(store)).catch(() => {})
}

/**
 * Writes marks after commits, throttled: the newest mark wins, at most one write in flight.
 *
 * @example
 * ```ts
 * const marks = createMarkWriter('shop')
 * marks.committed({ head: 12, id: 'e12' })
 * ```
 */
export function createMarkWriter(store: string) {
  let pending: HighWaterMark | undefined
  let writing: Promise<void> | undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  const flush = async () => {
    timer = undefined
    while (pending !== undefined) {
      const mark = pending
      pending = undefined
      await writeMark(store, mark)
    }
    writing = undefined
  }
  return {
    committed(mark: HighWaterMark) {
      if (pending === undefined || mark.head > pending.head) pending = mark
      if (writing === undefined && timer === undefined) {
        timer = setTimeout(() => {
          writing = flush()
        }, WRITE_EVERY_MS)
      }
    },
    /** Writes what is pending now (on close). */
    async settle(): Promise<void> {
      if (timer !== undefined) {
        clearTimeout(timer)
        writing = flush()
      }
      await writing
    },
  }
}
