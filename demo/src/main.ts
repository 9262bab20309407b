import { openEventStore } from '@brook/idb'
import { DemoApp } from './demo-app.ts'

customElements.define('demo-app', DemoApp)

const app = document.querySelector('demo-app')
if (app instanceof DemoApp) {
  openEventStore('demo').then(
    (store) => {
      app.store = store
    },
    (err: unknown) => {
      app.fatal = err instanceof Error ? err.message : String(err)
    },
  )
}
