import { expect } from 'chai'
import { BrookError, type JsonValue } from '@brook/core'
import { collect } from '@brook/testing'
import { deleteConsumers, openConsumerStorage } from './consumer-storage.ts'
import { openStateReader } from './state-reader.ts'
import { openEventStore } from './store.ts'
import { deleteStore, uniqueName } from './test-helpers.ts'

describe('consumer rows (IndexedDB)', () => {
  it('deleteConsumers removes the checkpoint, state and parked events of the consumers named, and nothing else', async () => {
    const name = uniqueName('consumer-rows')
    const store = await openEventStore(name)
    await store.append('s', [{ type: 'E', data: 1 }])
    const [event] = await collect(store.read())
    await store.close()
    const error = BrookError.create('HANDLER_FAILED', 'no', { reason: 'no', where: 'test' }).toData()
    for (const id of ['app:a', 'app:a#snapshots', 'app:b', 'other']) {
      const storage = await openConsumerStorage(name, id)
      await storage.commit(0, 1, {
        changes: new Map<string, JsonValue>([
          ['k1', 1],
          ['k2', { id }],
        ]),
        parked: event === undefined ? [] : [{ event, error, attempts: 1 }],
      })
      storage.close()
    }
    const reader = await openStateReader(name)
    try {
      expect(await reader.consumers()).to.deep.equal(['app:a', 'app:a#snapshots', 'app:b', 'other'])
      expect(await reader.consumers('app:')).to.deep.equal(['app:a', 'app:a#snapshots', 'app:b'])

      await deleteConsumers(name, ['app:a', 'app:a#snapshots'])
      expect(await reader.consumers()).to.deep.equal(['app:b', 'other'])
      for (const id of ['app:a', 'app:a#snapshots']) {
        expect(await reader.checkpoint(id)).to.equal(0)
        expect(await reader.list(id)).to.deep.equal([])
        const storage = await openConsumerStorage(name, id)
        expect(await storage.parkedCount()).to.equal(0)
        storage.close()
      }
      for (const id of ['app:b', 'other']) {
        expect(await reader.checkpoint(id)).to.equal(1)
        expect(await reader.list(id)).to.deep.equal([
          ['k1', 1],
          ['k2', { id }],
        ])
        const storage = await openConsumerStorage(name, id)
        expect(await storage.parkedCount()).to.equal(1)
        storage.close()
      }
    } finally {
      reader.close()
      await deleteStore(name)
    }
  })
})
