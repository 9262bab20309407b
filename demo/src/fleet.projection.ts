// Builds the `fleet` read model, with snapshots for the replay slider.
import { runProjection } from '@brook/projections/worker'
import { fleet, STORE } from './model.ts'

runProjection(fleet, { store: STORE })
