// The benchmark's consumer: folds every event into per-product-group sales totals through
// `tx`, one state key per group (see fold.ts for the key and the figures).
//
// A consumer's name is fixed by its module and startConsumer cannot override it, so the
// page passes it in the module's URL (`fold.consumer.ts?name=...`): several consumers, each
// with its own checkpoint and state, from one module.
import type { RecordedEvent } from '@brook/core'
import { runConsumer } from '@brook/worker/worker'
import { CONSUMER_BATCH, FOLD_CONSUMER, foldKey, foldValue, type FoldTotals } from './fold.ts'

const name = new URL(self.location.href).searchParams.get('name') ?? FOLD_CONSUMER

runConsumer({
  name,
  // Always overridden: the page starts it with `store` set to the log under test.
  store: 'bench-unset',
  batchSize: CONSUMER_BATCH,
  async handle(batch: readonly RecordedEvent[], tx) {
    for (const e of batch) {
      const key = foldKey(e)
      const t = (await tx.get<FoldTotals>(key)) ?? { count: 0, sum: 0 }
      tx.put(key, { count: t.count + 1, sum: t.sum + foldValue(e) })
    }
  },
})
