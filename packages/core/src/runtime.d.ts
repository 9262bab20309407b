// Timers and microtasks exist in every runtime Brook targets (browsers, workers, Node), but
// belong to no ECMAScript lib; the core declares just what it uses instead of taking the
// whole DOM or Node typings (core stays pure: no DOM, no Node).
declare function setTimeout(handler: () => void, ms?: number): unknown
declare function clearTimeout(id: unknown): void
declare function queueMicrotask(callback: () => void): void
