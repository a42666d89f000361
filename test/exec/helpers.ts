import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunbyteConfig, ServerConfig } from '../../src/config/index.js';
import { Executor, type ExecLimits, type ExecOutcome } from '../../src/exec/index.js';
import { generateWith } from '../../src/generate/index.js';
import { Hub } from '../../src/hub/index.js';

/** One real Hub, an SDK generated from it into a temp folder, and an Executor calling through the hub. */
export interface ExecFixture {
  dir: string;
  hub: Hub;
  executor: Executor;
  run(code: string): Promise<ExecOutcome>;
  close(): Promise<void>;
}

const DEFAULT_LIMITS: ExecLimits = { timeoutMs: 5_000, memoryBytes: 64 * 2 ** 20, maxOutputChars: 40_000 };

/**
 * Wires the stages the way src/serve/engine.ts does: the hub's call timeout is the execution's
 * wall-clock limit, and the executor reaches tools only through the injected function.
 */
export async function startExec(servers: ServerConfig[], limits: Partial<ExecLimits> = {}): Promise<ExecFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'runbyte-exec-'));
  const all = { ...DEFAULT_LIMITS, ...limits };
  const config: RunbyteConfig = {
    path: join(dir, 'runbyte.json'),
    dir,
    servers,
    outDir: join(dir, 'generated'),
    workspaceDir: join(dir, 'workspace'),
    server: { port: 0, timeout: all.timeoutMs / 1000, connectTimeout: 20, sessionIdleSeconds: 1800, maxSessions: 100 },
    sandbox: {
      memoryMb: all.memoryBytes / 2 ** 20,
      maxOutputChars: all.maxOutputChars,
      workspaceQuotaMb: 10,
      workspaceMaxEntries: 10_000,
      compilerMemoryMb: 1024,
    },
  };
  mkdirSync(config.workspaceDir, { recursive: true });
  const hub = new Hub(servers, { connectTimeoutMs: 20_000, callTimeoutMs: all.timeoutMs });
  const failures = await hub.start();
  if (failures.length > 0) {
    await hub.close();
    throw new Error(`servers failed to start: ${failures.map((failure) => failure.message).join('; ')}`);
  }
  await generateWith(hub, config);
  const executor = new Executor({
    roots: { generatedDir: config.outDir, workspaceDir: config.workspaceDir },
    limits: all,
    callTool: (server, tool, args, signal) => hub.callTool(server, tool, args, { signal }),
  });
  await executor.warm();
  return {
    dir,
    hub,
    executor,
    run: (code) => executor.execute(code),
    async close() {
      await Promise.allSettled([executor.close(), hub.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The parsed value of a successful outcome; throws with the failure text otherwise (so a test shows why). */
export function valueFrom(outcome: ExecOutcome): unknown {
  if (!outcome.ok) throw new Error(`expected success, got:\n${outcome.message}\nconsole:\n${outcome.console}`);
  return JSON.parse(outcome.value) as unknown;
}

/** The message of a failed outcome; throws with the value otherwise. */
export function failureOf(outcome: ExecOutcome): string {
  if (outcome.ok) throw new Error(`expected a failure, got the value ${outcome.value}`);
  return outcome.message;
}
