export { BrookError, ErrorCode, isBrookError, isBrookErrorData } from './errors.ts'
export type { BrookErrorData, BrookErrorOf, ErrorFields } from './errors.ts'
export { Position } from './position.ts'
export type {
  AppendOptions,
  AppendResult,
  CommitEntry,
  CommitResult,
  ConsumerTx,
  Direction,
  EventFilter,
  EventHandler,
  EventStore,
  ExpectedVersion,
  JsonValue,
  NewEvent,
  ReadOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
  Unsubscribe,
} from './types.ts'
export { copyJson, MAX_JSON_DEPTH, toPlainJson, utf8Length } from './json.ts'
export {
  Limits,
  parse,
  parseReadOptions,
  parseReadStreamOptions,
  parseStream,
  prepareAppend,
  prepareCommit,
} from './validation.ts'
export type { ParsedRead, PreparedEntry, PreparedEvent } from './validation.ts'
export { planCommit } from './plan.ts'
export type { LogState, Outcome, Stamp } from './plan.ts'
export { createMemoryEventStore, StoreOptionEntries } from './memory-store.ts'
export type { MemoryEventStoreOptions } from './memory-store.ts'
export { uuidv7 as newEventId } from 'uuidv7'
export { createWake, EventFilterSchema, matchesFilter, startSubscription } from './subscribe.ts'
export type { Stop, SubscriptionSource, Wake } from './subscribe.ts'
export { partitionOf } from './partition.ts'
