export { projectionConsumer, runProjection } from './run-projection.ts'
export type { RunProjectionOptions } from './run-projection.ts'
