// The CEP pipeline: per device, the moving average of its last 10 readings; an alert when it
// rises above the threshold, and one when it falls back. Alerts are appended to the `alerts`
// stream in the same transaction as the pipeline's checkpoint and state: never twice.
import type { RecordedEvent } from '@brook/core'
import { pipeline, thresholdAlert } from '@brook/cep'
import { runConsumer } from '@brook/worker/worker'
import { ALERTS_STREAM, STORE, THRESHOLD, type Alert, type Reading } from './model.ts'

type ReadingEvent = RecordedEvent<'Reading', Reading>

const alerts = pipeline<ReadingEvent>('alerts')
  .from({ types: ['Reading'] })
  .keyBy((e) => e.stream)
  .apply(
    thresholdAlert<ReadingEvent>({
      value: (e) => e.data.value,
      count: 10,
      time: (e) => e.data.at,
      above: THRESHOLD,
      clearAt: THRESHOLD - 5,
    }),
  )
  .emit((a) => ({
    stream: ALERTS_STREAM,
    type: 'ThresholdCrossed',
    data: {
      device: a.key,
      average: Math.round(a.average * 10) / 10,
      threshold: a.threshold,
      direction: a.state === 'raised' ? 'above' : 'below',
      at: a.time,
    } satisfies Alert,
  }))

runConsumer(alerts.toConsumer({ store: STORE }))
