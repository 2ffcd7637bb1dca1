// Preloaded into a tracker process (NODE_OPTIONS=--import=...) by hostile-crashers.test.ts:
// once the tracker is up, a timer throws and a promise rejects with no one to catch either,
// as a bug in some callback would. The process must log both and keep serving.
// "Up" is when the tracker has installed its last line of defence (an uncaughtException
// listener), not a fixed delay: on a loaded machine loading the tracker's modules can take
// longer than any delay chosen here, and a fault before main.ts runs tests nothing.
const poll = setInterval(() => {
  if (process.listenerCount('uncaughtException') === 0) return;
  clearInterval(poll);
  setTimeout(() => {
    throw new Error('injected uncaught exception');
  }, 200).unref();
  setTimeout(() => {
    void Promise.reject(new Error('injected unhandled rejection'));
  }, 200).unref();
}, 50);
poll.unref();
