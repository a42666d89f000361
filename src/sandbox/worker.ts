// Entry of a sandbox worker thread: a thin adapter around local.ts. Host functions are stubs that
// ask the main thread (pool.ts) to run the real one and settle with its answer.

import { parentPort } from 'node:worker_threads';
import { runHere, warmHere } from './local.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { EncodedJson } from './run.js';
import type { HostFunction } from './types.js';

const port = parentPort;
if (!port) throw new Error('worker.ts runs only as a worker thread');

/** Host calls of the current run waiting for the main thread, by call id. */
let waiting = new Map<number, { resolve(value: EncodedJson): void; reject(error: Error): void }>();
let nextCallId = 1;

const send = (message: FromWorker) => port.postMessage(message);

port.on('message', (message: ToWorker) => {
  if (message.type === 'run') {
    void start(message);
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
  const outcome = await runHere(message.script, {
    limits: message.limits,
    host,
    ...(message.filename === undefined ? {} : { filename: message.filename }),
    ...(message.maxLogChars === undefined ? {} : { maxLogChars: message.maxLogChars }),
  });
  // Answers that arrive after the end are dropped.
  calls.clear();
  send({ type: 'done', runId, outcome });
}

await warmHere();
// One throwaway run, so the first real run does not pay for V8 warming up this thread's sandbox code.
await runHere('globalThis.__runbyteMain = async () => 0;', { limits: { memoryBytes: 0, timeoutMs: 1_000 }, host: {} });
send({ type: 'ready' });
