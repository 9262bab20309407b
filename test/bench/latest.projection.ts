// The append -> Lit render latency path's builder (latency.ts): `latestProjection` over the
// store named in the module's URL (`latest.projection.ts?store=...`).
import { runProjection } from '@brook/projections/worker'
import { latestProjection } from './projections.ts'

runProjection(latestProjection, { store: new URL(self.location.href).searchParams.get('store') ?? 'bench-unset' })
