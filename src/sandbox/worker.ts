// Entry of a sandbox worker thread: a thin adapter around local.ts. Host calls cross to the main
// thread (pool.ts), which runs the real host functions: the calls a guest starts in one host turn
// leave as one message, with their arguments as the JSON text the guest wrote, and answers come
// back in batches too.

import { parentPort, workerData } from 'node:worker_threads';
import { runHere, warmHere } from './local.js';
import type { FromWorker, HostCall, ToWorker, WorkerData } from './protocol.js';
import { newQuickJsInstance } from './quickjs.js';
import { EncodedJson, type PreparedGuest, prepareGuest } from './run.js';
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
/**
 * A fresh instance prepared while the worker is idle (its runtime, context and guest half: about
 * 2 ms), for the next run of the same memory size. Never one that ran anything.
 */
let spare: { memoryBytes: number; prepared: Promise<PreparedGuest> } | undefined;

port.on('message', (message: ToWorker) => {
  if (message.type === 'run') {
    void start(message);
    return;
  }
  if (message.type === 'cancel') {
    if (current?.runId === message.runId) current.abort.abort();
    return;
  }
  for (const result of message.results) {
    const call = waiting.get(result.callId);
    if (!call) continue;
    waiting.delete(result.callId);
    if (result.ok) call.resolve(new EncodedJson(result.json));
    else call.reject(new Error(result.message));
  }
});

/** Only `runInSandbox`'s bridge below reaches the main thread; the guest is given these names. */
const unreachable: HostFunction = () => Promise.reject(new Error('host calls cross to the main thread'));

async function start(message: Extract<ToWorker, { type: 'run' }>): Promise<void> {
  const { runId } = message;
  const abort = new AbortController();
  current = { runId, abort };
  const calls = new Map<number, { resolve(value: EncodedJson): void; reject(error: Error): void }>();
  waiting = calls;
  const host: Record<string, HostFunction> = {};
  for (const name of message.hostNames) host[name] = unreachable;
  let outbox: HostCall[] = [];
  // Calls started in one host turn are sent together once the turn is over.
  const flush = () => {
    const batch = outbox;
    outbox = [];
    send({ type: 'calls', runId, calls: batch });
  };
  const bridge = (name: string, argsJson: string) =>
    new Promise<EncodedJson>((resolve, reject) => {
      const callId = nextCallId++;
      calls.set(callId, { resolve, reject });
      if (outbox.length === 0) queueMicrotask(flush);
      outbox.push({ callId, name, argsJson });
    });
  const { memoryBytes } = message.limits;
  // A spare that failed to load leaves the run to make its own (and to report that failure).
  const prepared = spare?.memoryBytes === memoryBytes ? spare.prepared.catch(() => newQuickJsInstance(memoryBytes).then(prepareGuest)) : undefined;
  spare = undefined;
  const outcome = await runHere(
    message.script,
    {
      limits: message.limits,
      host,
      signal: abort.signal,
      ...(message.filename === undefined ? {} : { filename: message.filename }),
      ...(message.maxLogChars === undefined ? {} : { maxLogChars: message.maxLogChars }),
    },
    {
      // A spinning guest never lets this thread read the `cancel` message: its interrupt handler reads the word.
      probe: { cancelled: () => Atomics.load(cancelWord, 0) === runId },
      bridge,
      ...(prepared ? { prepared } : {}),
    },
  );
  if (current?.runId === runId) current = undefined;
  // Answers that arrive after the end are dropped.
  calls.clear();
  send({ type: 'done', runId, outcome });
  makeSpare(memoryBytes);
}

function makeSpare(memoryBytes: number): void {
  const prepared = newQuickJsInstance(memoryBytes).then(prepareGuest);
  // A failure here is the next run's to report, when it makes its own instance.
  prepared.catch(() => {
    if (spare?.prepared === prepared) spare = undefined;
  });
  spare = { memoryBytes, prepared };
}

await warmHere();
// One throwaway run, so the first real run does not pay for V8 warming up this thread's sandbox code.
await runHere('globalThis.__runbyteMain = async () => 0;', { limits: { memoryBytes: 0, timeoutMs: 1_000 }, host: {} });
send({ type: 'ready' });
