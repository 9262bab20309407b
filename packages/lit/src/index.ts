// Devtools elements. Importing any of them registers its `<brook-*>` tag (once per page).
export { BrookLogView } from './elements/log-view.ts'
export { BrookStreams } from './elements/streams.ts'
export { BrookConsumers } from './elements/consumers.ts'
export type { ConsumerList, ParkedEvent } from './elements/consumers.ts'
export { BrookInspector, INSPECTOR_TABS } from './elements/inspector.ts'
export type { InspectorTab } from './elements/inspector.ts'
export { theme as brookTheme } from './elements/theme.ts'
// Projections in elements.
export { ProjectionController } from './controller.ts'
export type { ProjectionControllerOptions } from './controller.ts'
export { provideStore, storeContext } from './context.ts'
export { acquireView, openViewCount } from './shared-views.ts'
