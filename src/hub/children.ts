/**
 * Every stdio child this process started and that has not exited yet. Hub.close() ends them
 * gracefully; this registry is the last line: when the process exits any other way, the 'exit'
 * handler kills what is left, synchronously (nothing async runs after 'exit').
 */
const live = new Set<number>();
let installed = false;

/** Remembers a child's pid until `forgetChild`; installs the 'exit' handler on first use. */
export function trackChild(pid: number): void {
  live.add(pid);
  if (!installed) {
    installed = true;
    process.on('exit', killRemaining);
  }
}

/** Called once the child has exited (its pid may be reused from then on). */
export function forgetChild(pid: number): void {
  live.delete(pid);
}

/** Sends a signal to a child; false when it is already gone. */
export function signalChild(pid: number, signal: NodeJS.Signals): boolean {
  try {
    return process.kill(pid, signal);
  } catch {
    return false;
  }
}

function killRemaining(): void {
  for (const pid of live) signalChild(pid, 'SIGKILL');
  live.clear();
}
