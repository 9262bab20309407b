export { consumerLeaseName } from './lease-name.ts'
export { createConsumerRuntime, runConsumer } from './run-consumer.ts'
export type { BatchInfo, ConsumerDefinition } from './run-consumer.ts'
export type { ConsumerTx } from '@brook/core'
