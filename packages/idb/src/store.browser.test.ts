import { expect } from 'chai'
import { collect, expectWellFormed, rejectsWith, skipUnless } from '@brook/testing'
import type { EventStore, NewEvent } from '@brook/core'
import { SCHEMA_VERSION } from './database.ts'
import { openEventStore } from './store.ts'
import { deleteStore, hasOpfs, OPFS, uniqueName } from './test-helpers.ts'

const ev = (type: string, data: unknown = null): NewEvent => ({ type, data })

/** Opens a raw IndexedDB connection, the way a legacy tab or other code would. */
function rawOpen(name: string, version: number, upgrade?: (db: IDBDatabase) => void): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(`brook:${name}`, version)
    req.onupgradeneeded = () => upgrade?.(req.result)
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error ?? new Error('open failed'))
  })
}

/**
 * Records the options of every readwrite transaction opened while `work` runs. Dexie binds
 * `IDBDatabase.transaction` when it opens, so the spy is installed for the whole file.
 */
const spied: (IDBTransactionOptions | undefined)[] = []
let recording = false
// eslint-disable-next-line @typescript-eslint/unbound-method -- only ever called with .call(db)
const originalTransaction = IDBDatabase.prototype.transaction
before(() => {
  IDBDatabase.prototype.transaction = function (
    this: IDBDatabase,
    stores: string | string[],
    mode?: IDBTransactionMode,
    options?: IDBTransactionOptions,
  ) {
    if (recording && mode === 'readwrite') spied.push(options)
    return originalTransaction.call(this, stores, mode, options)
  }
})
after(() => {
  IDBDatabase.prototype.transaction = originalTransaction
})

async function spyTransactions(work: () => Promise<unknown>): Promise<(IDBTransactionOptions | undefined)[]> {
  spied.length = 0
  recording = true
  try {
    await work()
  } finally {
    recording = false
  }
  return [...spied]
}

describe('openEventStore (IndexedDB specifics)', () => {
  const opened: EventStore[] = []
  const open = async (name: string, options?: Parameters<typeof openEventStore>[1]) => {
    const store = await openEventStore(name, options)
    opened.push(store)
    return store
  }
  afterEach(async () => {
    const names = new Set(opened.map((s) => s.name))
    await Promise.all(opened.splice(0).map((s) => s.close()))
    await Promise.all([...names].map(deleteStore))
  })

  describe('durability', () => {
    it("writes with 'strict' durability by default, so an acknowledged append is on disk", async () => {
      const store = await open(uniqueName('durable'))
      const seen = await spyTransactions(() => store.append('s', [ev('A')]))
      expect(seen).to.have.length(1)
      expect(seen[0]).to.deep.include({ durability: 'strict' })
    })

    it("uses 'relaxed' only when asked", async () => {
      const store = await open(uniqueName('relaxed'), { durability: 'relaxed' })
      const seen = await spyTransactions(() => store.append('s', [ev('A')]))
      expect(seen[0]).to.deep.include({ durability: 'relaxed' })
    })

    it('rejects an unknown durability or option with VALIDATION', async () => {
      const err = await rejectsWith(openEventStore('x', { durability: 'fast' as 'strict' }), 'VALIDATION')
      expect(err.path).to.equal('options.durability')
      const unknown = await rejectsWith(openEventStore('x', { durabilty: 'strict' } as never), 'VALIDATION')
      expect(unknown.path).to.equal('options.durabilty')
    })
  })

  describe('group commit', () => {
    it('puts 100 concurrent appends into a few transactions, each with its own result', async () => {
      const store = await open(uniqueName('group'))
      await store.append('warm', [ev('Up')])
      let results: { position: number }[] = []
      const seen = await spyTransactions(async () => {
        results = await Promise.all(Array.from({ length: 100 }, (_, i) => store.append(`s${i % 7}`, [ev('A', i)])))
      })
      // The first append starts a transaction alone; the other 99 queue behind it.
      expect(seen.length).to.be.at.most(3)
      expect(results.map((r) => r.position)).to.deep.equal(results.map((_, i) => i + 2))
      await expectWellFormed(store)
    })

    it('a failing caller in a group does not fail the others', async () => {
      const store = await open(uniqueName('group-fail'))
      await store.append('s', [ev('A')])
      const settled = await Promise.allSettled([
        store.append('s', [ev('B')], { expectedVersion: 1 }),
        store.append('s', [ev('C')], { expectedVersion: 1 }),
        store.append('t', [ev('D')], { expectedVersion: 'no-stream' }),
      ])
      expect(settled.map((s) => s.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled'])
      expect(await store.head()).to.equal(3)
    })
  })

  describe('several connections (as several tabs)', () => {
    it('interleaves appends from two connections into one gap-free log', async () => {
      const name = uniqueName('two')
      const [a, b] = [await open(name), await open(name)]
      await Promise.all(
        Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).append(`s${i % 5}`, [ev('X', i), ev('Y', i)])),
      )
      const all = await expectWellFormed(a)
      expect(all).to.have.length(100)
      expect(await collect(b.read())).to.deep.equal(all)
    })

    it('an expected-version race across connections has exactly one winner', async () => {
      const name = uniqueName('race')
      const stores = [await open(name), await open(name), await open(name)]
      await stores[0]?.append('account', [ev('Opened')])
      for (let round = 1; round <= 10; round++) {
        const tries = await Promise.allSettled(
          stores.map((s, i) => s.append('account', [ev('Deposited', { round, i })], { expectedVersion: round })),
        )
        expect(
          tries.filter((t) => t.status === 'fulfilled'),
          `round ${round}`,
        ).to.have.length(1)
        for (const t of tries) if (t.status === 'rejected') expect(t.reason).to.deep.include({ code: 'CONCURRENCY' })
      }
      expect(await stores[1]?.streamVersion('account')).to.equal(11)
    })

    it("sees another connection's writes to a stream it already wrote (no stale cached version)", async () => {
      const name = uniqueName('stale')
      const [a, b] = [await open(name), await open(name)]
      await a.append('s', [ev('A1')])
      await b.append('s', [ev('B1'), ev('B2')])
      const err = await rejectsWith(a.append('s', [ev('A2')], { expectedVersion: 1 }), 'CONCURRENCY')
      expect(err).to.deep.include({ actual: 3 })
      const r = await a.append('s', [ev('A2')], { expectedVersion: 3 })
      expect(r).to.deep.include({ version: 4, position: 4 })
      await b.append('t', [ev('B3')])
      expect((await a.append('s', [ev('A3')])).position).to.equal(6)
      await expectWellFormed(a)
    })

    it('keeps one origin per database across reopen, and stamps it on events', async () => {
      const name = uniqueName('origin')
      const first = await open(name)
      const [e1] = (await first.append('s', [ev('A')])).events
      await first.close()
      const again = await open(name)
      const [e2] = (await again.append('s', [ev('B')])).events
      expect(e1?.origin).to.be.a('string').with.length.greaterThan(10)
      expect(e2?.origin).to.equal(e1?.origin)
    })
  })

  describe('schema upgrades and versions', () => {
    it('steps aside when another tab opens a newer schema: no deadlock, typed STORE_CLOSED', async () => {
      const name = uniqueName('upgrade')
      const store = await open(name)
      await store.append('s', [ev('A')])
      const newer = await rawOpen(name, (SCHEMA_VERSION + 1) * 10)
      newer.close()
      const err = await rejectsWith(store.append('s', [ev('B')]), 'STORE_CLOSED')
      expect(err.reason).to.match(/newer version.*reload/)
    })

    it('rejects with UPGRADE_BLOCKED when an old connection never lets go, then opens once it does', async () => {
      const name = uniqueName('blocked')
      const legacy = await rawOpen(name, 1, (db) => db.createObjectStore('legacy'))
      legacy.onversionchange = null // a legacy tab that ignores versionchange
      const started = performance.now()
      const err = await rejectsWith(openEventStore(name, { openTimeoutMs: 300 }), 'UPGRADE_BLOCKED')
      expect(performance.now() - started).to.be.below(2000)
      expect(err.reason).to.match(/still open/)
      legacy.close()
      const store = await open(name)
      expect(await store.head()).to.equal(0)
    })

    it('refuses to run old code against a newer database, leaving its data alone', async () => {
      const name = uniqueName('newer')
      const newer = await rawOpen(name, (SCHEMA_VERSION + 5) * 10, (db) => {
        db.createObjectStore('events', { keyPath: 'position' }).add({ position: 1, keep: true })
        db.createObjectStore('meta', { keyPath: 'key' })
      })
      newer.close()
      const err = await rejectsWith(openEventStore(name), 'APP_OUTDATED')
      expect(err.reason).to.match(/update the app/)
      const check = await rawOpen(name, (SCHEMA_VERSION + 5) * 10)
      const row = await new Promise((resolve) => {
        const req = check.transaction('events').objectStore('events').get(1)
        req.onsuccess = () => resolve(req.result)
      })
      check.close()
      expect(row).to.deep.equal({ position: 1, keep: true })
      await deleteStore(name)
    })
  })

  describe('high-water mark (a log that went backwards)', () => {
    /** Deletes the database only, as the browser does when it evicts or clears IndexedDB. */
    const lose = (name: string) =>
      new Promise<void>((resolve, reject) => {
        const req = indexedDB.deleteDatabase(`brook:${name}`)
        req.onsuccess = () => resolve()
        req.onerror = () => reject(req.error ?? new Error('deleteDatabase failed'))
      })

    it('refuses a log that lost its events with LOG_REGRESSED, and opens when told to accept it', async function () {
      skipUnless(this, await hasOpfs(), OPFS)
      const name = uniqueName('regressed')
      const store = await openEventStore(name)
      for (let i = 0; i < 5; i++) await store.append('s', [ev('E', { i })])
      await store.close() // writes the mark
      await lose(name)
      const err = await rejectsWith(openEventStore(name), 'LOG_REGRESSED')
      expect(err).to.include({ expected: 5, actual: 0 })
      expect(err.reason).to.match(/committed up to 5/)
      // Accepting resets the mark to the log as it is: later opens are clean.
      const accepted = await open(name, { acceptRegression: true })
      expect(await accepted.head()).to.equal(0)
      await accepted.append('s', [ev('E')])
      await accepted.close()
      const again = await open(name)
      expect(await again.head()).to.equal(1)
    })

    it('a mark that fails to read is read again, never taken for no mark; one that keeps failing is STORAGE_UNAVAILABLE', async function () {
      skipUnless(this, await hasOpfs(), OPFS)
      const name = uniqueName('unreadable')
      const store = await openEventStore(name)
      await store.append('s', [ev('E'), ev('E')])
      await store.close()
      await lose(name)
      // Reads of the mark file fail as when another context replaces it meanwhile.
      // eslint-disable-next-line @typescript-eslint/unbound-method -- only ever called with .call(handle)
      const getFile = FileSystemFileHandle.prototype.getFile
      let failures = 2
      FileSystemFileHandle.prototype.getFile = function (this: FileSystemFileHandle) {
        if (this.name.startsWith(encodeURIComponent(name)) && failures-- > 0) {
          return Promise.reject(new DOMException('replaced meanwhile', 'NotReadableError'))
        }
        return getFile.call(this)
      }
      try {
        const err = await rejectsWith(openEventStore(name), 'LOG_REGRESSED')
        expect(err).to.include({ expected: 2, actual: 0 })
        expect(failures).to.equal(-1) // both failures met, then read
        failures = Infinity
        const unreadable = await rejectsWith(openEventStore(name), 'STORAGE_UNAVAILABLE')
        expect(unreadable.reason).to.match(/high-water mark/)
        // Accepting opens the log as it is, and writes the mark anew.
        const accepted = await open(name, { acceptRegression: true })
        expect(await accepted.head()).to.equal(0)
      } finally {
        FileSystemFileHandle.prototype.getFile = getFile
      }
      expect(await (await open(name)).head()).to.equal(0)
    })

    it('an empty mark file (a first write cut short) is no mark: the store opens', async function () {
      skipUnless(this, await hasOpfs(), OPFS)
      const name = uniqueName('empty-mark')
      const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('brook-marks', { create: true })
      await dir.getFileHandle(`${encodeURIComponent(name)}.json`, { create: true })
      const store = await open(name)
      await store.append('s', [ev('E')])
      expect(await store.head()).to.equal(1)
    })

    it('refuses a log replaced by another of the same length', async function () {
      skipUnless(this, await hasOpfs(), OPFS)
      const name = uniqueName('replaced')
      const first = await openEventStore(name)
      await first.append('s', [ev('E'), ev('E')])
      await first.close()
      const file = async () =>
        (await (await navigator.storage.getDirectory()).getDirectoryHandle('brook-marks')).getFileHandle(
          `${encodeURIComponent(name)}.json`,
        )
      const remembered = await (await (await file()).getFile()).text()
      expect(JSON.parse(remembered)).to.include({ head: 2 })
      // Another log of the same length takes its place; the old mark is put back, as if the
      // swap happened behind Brook's back.
      await lose(name)
      const other = await openEventStore(name, { acceptRegression: true })
      await other.append('s', [ev('Other'), ev('Other')])
      await other.close()
      const writable = await (await file()).createWritable()
      await writable.write(remembered)
      await writable.close()
      const err = await rejectsWith(openEventStore(name), 'LOG_REGRESSED')
      expect(err).to.include({ expected: 2, actual: 2 })
      expect(err.reason).to.match(/replaced/)
    })

    it('deleteEventStore deletes on purpose: opening again starts a new log, with no error', async () => {
      const name = uniqueName('deleted')
      const store = await openEventStore(name)
      await store.append('s', [ev('E')])
      await store.close()
      await deleteStore(name)
      const fresh = await open(name)
      expect(await fresh.head()).to.equal(0)
    })
  })
})
