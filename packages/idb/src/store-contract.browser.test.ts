import { eventStoreContract } from '@brook/testing'
import { openEventStore } from './store.ts'
import { deleteStore, uniqueName } from './test-helpers.ts'

eventStoreContract(
  'IndexedDB (Dexie) in Chromium',
  {
    open: (options) => openEventStore(uniqueName('contract'), options),
    dispose: (store) => deleteStore(store.name),
    propertyRuns: 30,
  },
  { describe, it },
)
