// Entry of a sandbox worker thread: a thin adapter around local.ts. Host functions are stubs that
// ask the main thread (pool.ts) to run the real one and settle with its answer.

import { parentPort, workerData } from 'node:worker_threads';
import { runHere, warmHere } from './local.js';
import type { FromWorker, ToWorker, WorkerData } from './protocol.js';
import { EncodedJson } from './run.js';
import type { HostFunction } from './types.js';

const port = parentPort;
if (!port) throw new Error('worker.ts runs only as a worker thread');

/** Host calls of the current run waiting for the main thread, by call id. */
let waiting = new Map<number, { resolve(value: EncodedJson): void; reject(error: Error): void }>();
let nextCallId = 1;

const send = (message: FromWorker) => port.postMessage(message);

/** The run id the main thread cancelled last (protocol.ts, WorkerData); 0 when none. */
const cancelWord = (workerData as WorkerData | undefined)?.cancel ?? new Int32Array(1);
/** The current run, to abort when its `cancel` message arrives while it waits on the host. */
let current: { runId: number; abort: AbortController } | undefined;

port.on('message', (message: ToWorker) => {
  if (message.type === 'run') {
    void start(message);
    return;
  }
  if (message.type === 'cancel') {
    if (current?.runId === message.runId) current.abort.abort();
    return;
  }
  const call = waiting.get(message.callId);
  if (!call) return;
  waiting.delete(message.callId);
  if (message.ok) call.resolve(new EncodedJson(message.json));
  else call.reject(new Error(message.message));
});

async function start(message: Extract<ToWorker, { type: 'run' }>): Promise<void> {
  const { runId } = message;
  const abort = new AbortController();
  current = { runId, abort };
  const calls = new Map<number, { resolve(value: EncodedJson): void; reject(error: Error): void }>();
  waiting = calls;
  const host: Record<string, HostFunction> = {};
  for (const name of message.hostNames) {
    host[name] = (...args: unknown[]) =>
      new Promise((resolve, reject) => {
        const callId = nextCallId++;
        calls.set(callId, { resolve, reject });
        send({ type: 'call', runId, callId, name, args });
      });
  }
  const outcome = await runHere(
    message.script,
    {
      limits: message.limits,
      host,
      signal: abort.signal,
      ...(message.filename === undefined ? {} : { filename: message.filename }),
      ...(message.maxLogChars === undefined ? {} : { maxLogChars: message.maxLogChars }),
    },
    // A spinning guest never lets this thread read the `cancel` message: its interrupt handler reads the word.
    { cancelled: () => Atomics.load(cancelWord, 0) === runId },
  );
  if (current?.runId === runId) current = undefined;
  // Answers that arrive after the end are dropped.
  calls.clear();
  send({ type: 'done', runId, outcome });
}

await warmHere();
// One throwaway run, so the first real run does not pay for V8 warming up this thread's sandbox code.
await runHere('globalThis.__runbyteMain = async () => 0;', { limits: { memoryBytes: 0, timeoutMs: 1_000 }, host: {} });
send({ type: 'ready' });
