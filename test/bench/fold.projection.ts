// The rebuild case's builder: the fold of fold.ts as a keyed projection (projections.ts),
// run by @brook/projections' worker runtime.
//
// runProjection reads and announces on the store its options name (startConsumer's `store`
// override would only reach the consumer runtime underneath), so the page passes the store
// in the module's URL, with the projection's name (`fold.projection.ts?name=...&store=...`).
import { runProjection } from '@brook/projections/worker'
import { CONSUMER_BATCH } from './fold.ts'
import { FOLD_PROJECTION, foldProjection } from './projections.ts'

const query = new URL(self.location.href).searchParams

runProjection(foldProjection(query.get('name') ?? FOLD_PROJECTION), {
  store: query.get('store') ?? 'bench-unset',
  batchSize: CONSUMER_BATCH,
})
