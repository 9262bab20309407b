export { createConsumerRuntime, runConsumer } from './run-consumer.ts'
export type { ConsumerDefinition } from './run-consumer.ts'
export type { ConsumerTx } from '@brook/core'
