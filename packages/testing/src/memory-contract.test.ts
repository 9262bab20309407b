import { describe, it } from 'vitest'
import { createMemoryEventStore } from '@brook/core'
import { eventStoreContract } from './contract.ts'

eventStoreContract(
  'memory',
  { open: async (options) => Promise.resolve(createMemoryEventStore(options)) },
  { describe, it },
)
