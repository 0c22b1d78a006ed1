// A page where a policy took WebSocket away, before any other module reads it: engine.io-client
// takes the global once, as it loads.
(window as { WebSocket?: unknown }).WebSocket = undefined;
