import { deleteEventStore } from './store.ts'

let counter = 0

/** A database name no other test uses, so every test starts empty. */
export function uniqueName(prefix: string): string {
  counter += 1
  return `${prefix}-${Date.now().toString(36)}-${counter}`
}

/** Deletes a store's database and high-water mark (the store must be closed). */
export function deleteStore(name: string): Promise<void> {
  // 'blocked' can fire while a just-closed connection finishes its last transaction;
  // success follows. A connection left open for good makes the test time out instead.
  return deleteEventStore(name)
}

/**
 * Whether this context reaches the origin private file system, where the high-water mark
 * lives (WebKitGTK ships it off; Safari on).
 */
export async function hasOpfs(): Promise<boolean> {
  try {
    await navigator.storage.getDirectory()
    return true
  } catch {
    return false // navigator.storage undefined (TypeError), or refused (WebKit automation: UnknownError)
  }
}

/** The skip reason for tests of the high-water mark. */
export const OPFS = 'origin private file system (navigator.storage.getDirectory), so no high-water mark'
