import { registerSW } from 'virtual:pwa-register'
import { openEventStore } from '@brook/idb'
import { DemoApp } from './demo-app.ts'
import { STORE } from './model.ts'

customElements.define('demo-app', DemoApp)

const app = document.querySelector('demo-app')
if (app instanceof DemoApp) {
  openEventStore(STORE).then(
    (store) => {
      app.store = store
    },
    (err: unknown) => {
      app.fatal = err instanceof Error ? err.message : String(err)
    },
  )
  // The built app caches itself in a service worker: after the first visit it starts with
  // the network off. (Not in `vite` dev, where there is nothing built to cache.)
  if (import.meta.hot === undefined && 'serviceWorker' in navigator) {
    registerSW({
      immediate: true,
      onOfflineReady() {
        app.offlineReady = true
        document.body.dataset.offline = 'ready'
      },
      onRegisteredSW(_url, registration) {
        if (registration?.active !== undefined && registration.active !== null) {
          app.offlineReady = true
          document.body.dataset.offline = 'ready'
        }
      },
    })
  }
}
