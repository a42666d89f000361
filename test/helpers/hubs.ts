import { afterEach, expect } from 'vitest';
import { Hub } from '../../src/hub/index.js';

/**
 * `started(...)` makes a Hub, starts it (every server must start) and closes it after the test:
 * for test files that start hubs of their own per test.
 */
export function hubsPerTest(): (...args: ConstructorParameters<typeof Hub>) => Promise<Hub> {
  const hubs: Hub[] = [];
  afterEach(async () => {
    await Promise.all(hubs.splice(0).map((hub) => hub.close()));
  });
  return async (...args) => {
    const hub = new Hub(...args);
    hubs.push(hub);
    expect(await hub.start()).toEqual([]);
    return hub;
  };
}
