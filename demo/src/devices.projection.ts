// Builds the `devices` read model (one instance across all tabs).
import { runProjection } from '@brook/projections/worker'
import { devices, STORE } from './model.ts'

runProjection(devices, { store: STORE })
