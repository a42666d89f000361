import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LogEvent } from '../../src/hub/index.js';
import { setDebug } from '../../src/shared/log.js';
import { hubsPerTest } from '../helpers/hubs.js';
import { fixtureServer, waitForExit } from '../helpers/servers.js';

const started = hubsPerTest();
afterEach(async () => {
  setDebug(false);
  vi.restoreAllMocks();
});

function captureStderr(): string[] {
  const lines: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  return lines;
}

const LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'] as const;
const textOf = (result: { content?: { text?: string }[] }) => result.content?.[0]?.text;

describe('Hub.onLog', () => {
  it('sets each server that can log to debug, and every notifications/message reaches the listeners', async () => {
    const hub = await started([fixtureServer('chatty', 'chatty.js')], { connectTimeoutMs: 10_000 });
    expect(textOf(await hub.callTool('chatty', 'level', {}))).toBe('"debug"');
    const events: LogEvent[] = [];
    const unsubscribe = hub.onLog((event) => events.push(event));
    expect(textOf(await hub.callTool('chatty', 'log', {}))).toBe('logged');
    await vi.waitFor(() => expect(events).toHaveLength(LEVELS.length));
    expect(events).toEqual(LEVELS.map((level, n) => ({ server: 'chatty', level, logger: 'chatty', data: { level, n } })));

    unsubscribe();
    await hub.callTool('chatty', 'log', {});
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(events).toHaveLength(LEVELS.length);
  });

  it('a server restarted after it died is set to debug again', async () => {
    captureStderr();
    const hub = await started([fixtureServer('chatty', 'chatty.js')], { connectTimeoutMs: 10_000 });
    const pid = Number(textOf(await hub.callTool('chatty', 'pid', {})));
    process.kill(pid, 'SIGKILL');
    await waitForExit(pid);
    await vi.waitFor(() => expect(hub.connected()).toEqual([]));
    expect(Number(textOf(await hub.callTool('chatty', 'pid', {})))).not.toBe(pid);
    expect(textOf(await hub.callTool('chatty', 'level', {}))).toBe('"debug"');
  });

  it('a server without the logging capability connects and serves as usual', async () => {
    const stderr = captureStderr();
    setDebug(true);
    const hub = await started([fixtureServer('quiet', 'chatty.js', ['--no-logging']), fixtureServer('faults', 'faults.js')], { connectTimeoutMs: 10_000 });
    expect(hub.connected()).toEqual(['faults', 'quiet']);
    expect(textOf(await hub.callTool('quiet', 'level', {}))).toBe('null');
    expect(textOf(await hub.callTool('faults', 'pid', {}))).toMatch(/^\d+$/);
    expect(stderr.join('')).not.toContain('setLevel');
  });

  it('without listeners, messages go to the debug log only under --debug', async () => {
    const stderr = captureStderr();
    const hub = await started([fixtureServer('chatty', 'chatty.js')], { connectTimeoutMs: 10_000 });
    await hub.callTool('chatty', 'log', {});
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stderr.join('')).not.toContain('chatty');

    setDebug(true);
    await hub.callTool('chatty', 'log', {});
    await vi.waitFor(() => expect(stderr.join('')).toContain('emergency'));
    const lines = stderr.join('').split('\n');
    expect(lines).toContain('runbyte[debug]: server "chatty" logged (warning, chatty): {"level":"warning","n":3}');
    expect(lines).toContain('runbyte[debug]: server "chatty" logged (debug, chatty): {"level":"debug","n":0}');

    // With a listener, the listener has them instead.
    stderr.length = 0;
    const events: LogEvent[] = [];
    hub.onLog((event) => events.push(event));
    await hub.callTool('chatty', 'log', {});
    await vi.waitFor(() => expect(events).toHaveLength(LEVELS.length));
    expect(stderr.join('')).not.toContain('logged (');
  });

  it('a listener that throws does not stop the others', async () => {
    captureStderr();
    const hub = await started([fixtureServer('chatty', 'chatty.js')], { connectTimeoutMs: 10_000 });
    const events: LogEvent[] = [];
    hub.onLog(() => {
      throw new Error('listener bug');
    });
    hub.onLog((event) => events.push(event));
    await hub.callTool('chatty', 'log', {});
    await vi.waitFor(() => expect(events).toHaveLength(LEVELS.length));
  });
});
