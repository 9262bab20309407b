// The benchmark's consumer: folds every event into per-stream totals through `tx`, one
// state key per stream (see fold.ts for the key and the figures).
//
// A consumer's name is fixed by its module and startConsumer cannot override it, so the
// page passes it in the module's URL (`fold.consumer.ts?name=...`): several consumers, each
// with its own checkpoint and state, from one module. `&fold=reading` folds the CEP case's
// readings (readings.ts) instead of the read log's events: the same fold, its value
// `data.value`, in batches of CEP_BATCH as the pipeline there.
import type { RecordedEvent } from '@brook/core'
import { runConsumer } from '@brook/worker/worker'
import { CONSUMER_BATCH, FOLD_CONSUMER, foldKey, foldValue, readingValue, type FoldTotals } from './fold.ts'
import { CEP_BATCH } from './readings.ts'

const query = new URL(self.location.href).searchParams
const name = query.get('name') ?? FOLD_CONSUMER
const valueOf = query.get('fold') === 'reading' ? readingValue : foldValue

runConsumer({
  name,
  // Always overridden: the page starts it with `store` set to the log under test.
  store: 'bench-unset',
  batchSize: query.get('fold') === 'reading' ? CEP_BATCH : CONSUMER_BATCH,
  async handle(batch: readonly RecordedEvent[], tx) {
    for (const e of batch) {
      const key = foldKey(e)
      const t = (await tx.get<FoldTotals>(key)) ?? { count: 0, sum: 0 }
      tx.put(key, { count: t.count + 1, sum: t.sum + valueOf(e) })
    }
  },
})
