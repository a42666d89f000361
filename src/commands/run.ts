import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { Args, Flags } from '@oclif/core';
import { type ExecOutcome, formatBytes, type MediaBlock } from '../exec/index.js';
import type { Approver } from '../policy/index.js';
import { Engine } from '../serve/engine.js';
import { RunbyteError } from '../shared/errors.js';
import { RunbyteCommand } from './base.js';

/** An image or audio block of the value, written to a file (README.md, `runbyte run`). */
interface SavedMedia {
  index: number;
  type: MediaBlock['type'];
  mimeType: string;
  bytes: number;
  path: string;
}

/** What `run --json` prints (README.md, `runbyte run`). */
type RunJson =
  | { ok: true; value: unknown; oversized?: { chars: number; savedTo?: string }; media?: SavedMedia[] }
  | { ok: false; phase: string; error: string };

export default class Run extends RunbyteCommand {
  static override description = 'Run a TypeScript file exactly as execute_code would: its value as JSON on stdout, console on stderr';
  static override enableJsonFlag = true;
  static override args = {
    file: Args.string({ description: 'the TypeScript file to run', required: true }),
  };
  static override flags = {
    yes: Flags.boolean({ description: 'approve the tools runbyte.json\'s policy marks "ask" without asking' }),
  };
  static override examples = ['<%= config.bin %> run examples/orders-by-region.ts', '<%= config.bin %> run cleanup.ts --yes'];

  async run(): Promise<RunJson | undefined> {
    const { args, flags } = await this.parse(Run);
    const code = await readFile(args.file, 'utf8').catch((error: unknown) => {
      throw new RunbyteError('USAGE', `${args.file}: cannot read file`, { cause: error });
    });
    const config = this.loadConfig(flags.config);
    const engine = await Engine.start(config, { regenerate: 'missing' });
    let outcome: ExecOutcome;
    try {
      // Through the engine, as execute_code runs (policy, audit, learned shapes). Errors name the
      // file as it was given (`orders.ts(3,7)`, `orders.ts:3:39`), so an editor or terminal can open it.
      outcome = await engine.execute(code, { codeName: args.file, approver: terminalApprover(flags.yes) });
    } finally {
      await engine.close();
    }
    if (outcome.console) process.stderr.write(`${outcome.console}\n`);
    if (!outcome.ok) return this.fail(outcome.phase, outcome.message);
    // A terminal cannot show them and stdout stays JSON: each image and audio block goes to a file,
    // named on stderr, and the JSON keeps its placeholder.
    const files = outcome.media ? await saveMedia(outcome.media) : [];
    const media = files.length > 0 ? { media: files } : {};
    if (!this.jsonEnabled()) {
      for (const file of files) process.stderr.write(`${file.type} ${file.index} (${file.mimeType}, ${formatBytes(file.bytes)}): ${file.path}\n`);
    }
    if (!outcome.truncated) {
      if (this.jsonEnabled()) return { ok: true, value: JSON.parse(outcome.value) as unknown, ...media };
      process.stdout.write(`${outcome.value}\n`);
      return undefined;
    }

    // Longer than sandbox.maxOutputChars: execute_code would cut it, but stdout here stays JSON, so
    // the whole value is printed, and where the workspace keeps it (a host path) goes to stderr.
    const { chars, json, kept } = outcome.oversized!;
    if (json === undefined) {
      // Past the sandbox's copy-out cap, only a part ever reached the host: there is no JSON to print.
      return this.fail(
        'Output too large',
        `Output too large\nthe value is ${chars.toLocaleString('en-US')} chars, more than the sandbox hands out; nothing was printed. Return less, or write it with @runbyte/fs (writeJson) and return its path.`,
      );
    }
    if (this.jsonEnabled()) {
      return { ok: true, value: JSON.parse(json) as unknown, oversized: { chars, ...(kept ? { savedTo: kept.hostPath } : {}) }, ...media };
    }
    process.stdout.write(`${json}\n`);
    const saved = kept ? `; the value is also saved in ${kept.hostPath}` : '';
    process.stderr.write(
      `note: the value is ${chars.toLocaleString('en-US')} chars, more than sandbox.maxOutputChars (${config.sandbox.maxOutputChars.toLocaleString('en-US')}): execute_code would cut it, run prints it whole${saved}\n`,
    );
    return undefined;
  }

  /** Exit 1 with the failure: its text on stderr, or `{ ok: false, phase, error }` with --json. */
  private fail(phase: string, message: string): RunJson | undefined {
    process.exitCode = 1;
    if (this.jsonEnabled()) return { ok: false, phase, error: message };
    process.stderr.write(`${message}\n`);
    return undefined;
  }
}

/**
 * Writes each block to a fresh temporary folder, `image-1.png`, `audio-2.wav`: the number is the
 * one in the value's placeholder. A temporary folder, not the workspace: the files are for the
 * person at the terminal, and must not count against the workspace's quota.
 */
async function saveMedia(media: MediaBlock[]): Promise<SavedMedia[]> {
  const dir = await mkdtemp(join(tmpdir(), 'runbyte-run-'));
  return Promise.all(
    media.map(async (block) => {
      const bytes = Buffer.from(block.data, 'base64');
      const path = join(dir, `${block.type}-${block.index}.${extensionOf(block.mimeType)}`);
      await writeFile(path, bytes);
      return { index: block.index, type: block.type, mimeType: block.mimeType, bytes: bytes.length, path };
    }),
  );
}

const EXTENSIONS: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/svg+xml': 'svg',
  'image/x-icon': 'ico',
  'image/vnd.microsoft.icon': 'ico',
  'audio/mpeg': 'mp3',
  'audio/x-wav': 'wav',
  'audio/wave': 'wav',
  'audio/mp4': 'm4a',
  'audio/x-m4a': 'm4a',
};

/** `png` for image/png; a subtype that is not a plain word (from a server we do not control) gives `bin`. */
function extensionOf(mimeType: string): string {
  const type = mimeType.toLowerCase().split(';')[0]!.trim();
  const known = EXTENSIONS[type];
  if (known) return known;
  const subtype = type.split('/')[1] ?? '';
  return /^[a-z0-9]{1,10}$/.test(subtype) ? subtype : 'bin';
}

/**
 * Approval on the terminal (README.md, "Pinned tools, policy and the audit log"): `--yes` approves,
 * a terminal is asked (anything but y or yes declines), and without one nothing can be asked.
 */
function terminalApprover(yes: boolean): Approver {
  return async (request) => {
    if (yes) return { answer: 'accepted' };
    if (!process.stdin.isTTY || !process.stderr.isTTY) return { answer: 'refused', reason: 'runbyte run has no terminal to ask on; pass --yes to approve' };
    const lines = request.tools.map((tool) => `  ${tool.name} (${tool.why})`).join('\n');
    const prompt = createInterface({ input: process.stdin, output: process.stderr });
    try {
      const answer = await prompt.question(`The script may call tools that need your approval:\n${lines}\nAllow this run? [y/N] `);
      return /^y(es)?$/i.test(answer.trim()) ? { answer: 'accepted' } : { answer: 'declined' };
    } finally {
      prompt.close();
    }
  };
}
