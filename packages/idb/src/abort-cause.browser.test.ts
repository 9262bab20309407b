import { expect } from 'chai'
import { watchAbortCause } from './abort-cause.ts'
import { uniqueName } from './test-helpers.ts'

function openRaw(name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name, 1)
    req.onupgradeneeded = () => req.result.createObjectStore('rows', { keyPath: 'key' })
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error ?? new Error('open failed'))
  })
}

/** Runs `work` in a readwrite transaction and resolves with the cause of its abort. */
function abortOf(db: IDBDatabase, work: (tx: IDBTransaction) => void): Promise<DOMException> {
  return new Promise((resolve, reject) => {
    const tx = db.transaction('rows', 'readwrite')
    const cause = watchAbortCause(tx)
    tx.oncomplete = () => reject(new Error('the transaction committed'))
    tx.onabort = () => resolve(cause())
    work(tx)
  })
}

describe('watchAbortCause', () => {
  let db: IDBDatabase
  let name: string
  beforeEach(async () => {
    name = uniqueName('abort-cause')
    db = await openRaw(name)
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction('rows', 'readwrite')
      tx.objectStore('rows').add({ key: 1 })
      tx.oncomplete = () => resolve()
      tx.onabort = () => reject(tx.error ?? new Error('seed aborted'))
    })
  })
  afterEach(() => {
    db.close()
    indexedDB.deleteDatabase(name)
  })

  // The engine difference it exists for: after commit(), Firefox says AbortError and
  // WebKit null on `tx.error`; only the request keeps ConstraintError everywhere.
  it('reports the failed request’s ConstraintError when the transaction called commit()', async () => {
    const cause = await abortOf(db, (tx) => {
      tx.objectStore('rows').add({ key: 1 })
      tx.commit()
    })
    expect(cause.name).to.equal('ConstraintError')
  })

  it('reports ConstraintError without commit() too', async () => {
    const cause = await abortOf(db, (tx) => {
      tx.objectStore('rows').add({ key: 1 })
    })
    expect(cause.name).to.equal('ConstraintError')
  })

  it('reports the first failure when several requests fail', async () => {
    const cause = await abortOf(db, (tx) => {
      const rows = tx.objectStore('rows')
      rows.add({ key: 1 })
      rows.add({ key: 1 })
      tx.commit()
    })
    expect(cause.name).to.equal('ConstraintError')
  })

  it('names an explicit abort AbortError, with what was aborted', async () => {
    const tx = db.transaction('rows', 'readwrite')
    const cause = watchAbortCause(tx, 'the test write')
    const aborted = new Promise<DOMException>((resolve) => (tx.onabort = () => resolve(cause())))
    tx.abort()
    const error = await aborted
    expect(error.name).to.equal('AbortError')
    expect(error.message).to.equal('the test write was aborted')
  })

  it('keeps request errors from bubbling to the connection', async () => {
    let reached = false
    db.onerror = () => (reached = true)
    await abortOf(db, (tx) => {
      tx.objectStore('rows').add({ key: 1 })
      tx.commit()
    })
    expect(reached).to.equal(false)
  })
})
