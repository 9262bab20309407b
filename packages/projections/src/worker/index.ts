export { projectionConsumer, runProjection } from './run-projection.ts'
export type { RunProjectionOptions } from './run-projection.ts'
export { dropOlderVersions } from './old-versions.ts'
export type { DroppedVersions } from './old-versions.ts'
