/**
 * Last-resort cleanup when the Node process exits without calling `stop()`: each registered action runs
 * synchronously from the `exit` event (signals to child processes, temp-dir removal).
 */

const actions = new Set<() => void>();
let hooked = false;

function runAll(): void {
  for (const action of actions) {
    try {
      action();
    } catch {
      // the process is exiting; nothing useful can be done with the error
    }
  }
  actions.clear();
}

/** Registers a synchronous action for process exit; returns a function that unregisters it. */
export function onProcessExit(action: () => void): () => void {
  if (!hooked) {
    hooked = true;
    process.on('exit', runAll);
  }
  actions.add(action);
  return () => {
    actions.delete(action);
  };
}
