import { defineConfig } from 'vitest/config'

// Node-side tests: pure logic (`*.test.ts`) and the tests that drive real browsers from Node
// (`test/e2e`). In-browser tests (`*.browser.test.ts`) run under Web Test Runner.
export default defineConfig({
  resolve: { conditions: ['@brook/source'] },
  ssr: { resolve: { conditions: ['@brook/source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/*.browser.test.ts', '**/node_modules/**'],
    testTimeout: 60_000,
  },
})
