/** Small promise wrappers over the native IndexedDB API (no Dexie, on purpose). */

export function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'))
  })
}

/** Resolves on `complete`: with durability `strict`, only after the data reached the disk. */
export function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve()
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'))
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'))
  })
}

/** Opens a database at its current version (creating it empty when absent). */
export function openExisting(name: string): Promise<IDBDatabase> {
  return request(indexedDB.open(name))
}

/**
 * Deletes a database. Every connection must be closed first; `blocked` may still fire while a
 * just-closed connection finishes, and success follows.
 */
export function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.deleteDatabase(name)
    req.onsuccess = () => resolve()
    req.onerror = () => reject(req.error ?? new Error('deleteDatabase failed'))
  })
}
