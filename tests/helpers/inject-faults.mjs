// Preloaded into a tracker process (NODE_OPTIONS=--import=...) by hostile-crashers.test.ts:
// once the tracker is up, a timer throws and a promise rejects with no one to catch either,
// as a bug in some callback would. The process must log both and keep serving.
setTimeout(() => {
  throw new Error('injected uncaught exception');
}, 1500).unref();
setTimeout(() => {
  void Promise.reject(new Error('injected unhandled rejection'));
}, 1500).unref();
