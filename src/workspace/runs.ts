import { FsFault } from './paths.js';

/**
 * Workspace operations by the run that asked for them (docs/architecture.md, workspace/). Each run
 * has its own queue: at most `concurrency` of its operations run at once, at most `limit` wait or
 * run (more are refused at once with EBUSY), and when the run's signal aborts, every operation
 * that has not started is refused, never executed. A run's queue never delays another run's: there
 * is no queue across runs (writes to overlapping paths meet only in `PathLocks`).
 */
export class RunQueues {
  private readonly queues = new WeakMap<AbortSignal, RunQueue>();

  constructor(
    private readonly limit: number,
    private readonly concurrency: number,
  ) {}

  /** Runs `operation` for the run behind `signal`, in that run's queue; it gets the signal to stop at its next step. */
  run<T>(signal: AbortSignal, operation: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (signal.aborted) return Promise.reject(ended());
    let queue = this.queues.get(signal);
    if (!queue) {
      queue = new RunQueue(signal, this.limit, this.concurrency);
      this.queues.set(signal, queue);
    }
    return queue.push(operation);
  }
}

interface Waiting {
  start: () => void;
  refuse: (error: FsFault) => void;
}

class RunQueue {
  private active = 0;
  private readonly waiting: Waiting[] = [];

  constructor(
    private readonly signal: AbortSignal,
    private readonly limit: number,
    private readonly concurrency: number,
  ) {
    signal.addEventListener(
      'abort',
      () => {
        for (const waiting of this.waiting.splice(0)) waiting.refuse(ended());
      },
      { once: true },
    );
  }

  push<T>(operation: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.active + this.waiting.length >= this.limit) {
      return Promise.reject(new FsFault('EBUSY', `too many workspace operations at once (limit ${this.limit}); await some before starting more`));
    }
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        this.active++;
        operation(this.signal)
          .then(resolve, reject)
          .finally(() => {
            this.active--;
            this.next();
          });
      };
      this.waiting.push({ start, refuse: reject });
      this.next();
    });
  }

  private next(): void {
    while (this.active < this.concurrency && this.waiting.length > 0 && !this.signal.aborted) this.waiting.shift()!.start();
  }
}

function ended(): FsFault {
  return new FsFault('EIO', 'the run that started this operation has ended; it was not done');
}

/**
 * Serialises changes to overlapping paths (the same path, or one below the other), in the order
 * they asked; changes elsewhere go on at once. Holds are short: one write or one removal.
 */
export class PathLocks {
  private readonly held: { path: string; done: Promise<void> }[] = [];

  async with<T>(path: string, change: () => Promise<T>): Promise<T> {
    const before = this.held.filter((entry) => overlaps(entry.path, path)).map((entry) => entry.done);
    let release!: () => void;
    const entry = { path, done: new Promise<void>((resolve) => (release = resolve)) };
    this.held.push(entry);
    try {
      await Promise.all(before);
      return await change();
    } finally {
      this.held.splice(this.held.indexOf(entry), 1);
      release();
    }
  }
}

function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}
