export { openEventStore } from './store.ts'
export type { OpenEventStoreOptions } from './store.ts'
export { SCHEMA_VERSION } from './database.ts'
