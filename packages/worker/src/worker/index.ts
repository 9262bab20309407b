export { createConsumerRuntime, runConsumer } from './run-consumer.ts'
export type { ConsumerDefinition, ConsumerTx } from './run-consumer.ts'
