export { consumerLeaseName, createConsumerRuntime, runConsumer } from './run-consumer.ts'
export type { BatchInfo, ConsumerDefinition } from './run-consumer.ts'
export type { ConsumerTx } from '@brook/core'
