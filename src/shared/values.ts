// Small leaves every stage needs once.

/** A plain JSON object: not null, not an array. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Code-unit order, not `localeCompare`: the same list sorts the same on every machine and in every
 * locale (generated files and lock entries must not change with the user's language).
 */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Runs async jobs one at a time, in the order given; a failed job does not stop the next. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Settles when every job given so far has. */
  async idle(): Promise<void> {
    await this.tail;
  }
}
