export { startConsumer } from './start-consumer.ts'
export type { ConsumerGroupStatus, ConsumerHandle, StartConsumerOptions } from './start-consumer.ts'
export type { ConsumerState, ConsumerStatus } from './protocol.ts'
export { installBrookErrorTransfer } from './comlink-errors.ts'
