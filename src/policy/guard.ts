// Which tools a script may call, decided after it is bundled and before it runs: the SDK files in
// its bundle name them (the manifest), runbyte.json's policy allows, denies or asks for each.

import type { PolicyDecision } from '../config/types.js';
import type { LockFile } from '../emit/lock.js';
import type { Authorization } from '../exec/index.js';

import type { ToolSpec } from '../shared/tool-spec.js';
import { compareStrings } from '../shared/values.js';
import { Policy } from './rules.js';

/** The tools of a script that need the user's approval, each with why. */
export interface ApprovalRequest {
  tools: { name: string; why: string }[];
}

/** The user's answer; `refused` when nobody could be asked (the reason says why). */
export type ApprovalAnswer = { answer: 'accepted' } | { answer: 'declined' } | { answer: 'refused'; reason: string };

/** Asks the user, however the caller can: serve through MCP elicitation, run on the terminal. */
export type Approver = (request: ApprovalRequest, signal?: AbortSignal) => Promise<ApprovalAnswer>;

/** What was asked and answered, for the audit log. */
export interface ApprovalRecord {
  asked: string[];
  answer: ApprovalAnswer['answer'];
}

export interface GuardOptions {
  /** The SDK's lock: which tool each file calls. */
  lock: LockFile;
  policy?: Record<string, PolicyDecision>;
  /** A tool as its server last listed it, for its annotations. */
  tool: (server: string, tool: string) => Promise<ToolSpec | undefined>;
}

/** A tool file's tool. */
interface ToolRef {
  server: string;
  tool: string;
}

export class Guard {
  private readonly policy: Policy;
  private sdk?: { version: string; files: Map<string, ToolRef> };

  constructor(private readonly options: GuardOptions) {
    this.policy = new Policy(options.policy);
  }

  /**
   * The tools the bundle's SDK files call (`files` are virtual paths, `/servers/<s>/<f>.ts`), and
   * whether the script may run: refused when one of them is `deny`, or is `ask` and the user
   * declined or could not be asked.
   */
  async authorize(files: string[], approver: Approver | undefined, signal?: AbortSignal): Promise<{ verdict: Authorization; approval?: ApprovalRecord }> {
    const sdk = await this.sdkFiles();
    const refs = files.map((file) => sdk.get(file)).filter((ref): ref is ToolRef => ref !== undefined);
    const tools = [...new Set(refs.map((ref) => `${ref.server}.${ref.tool}`))].sort();
    const denied: string[] = [];
    const ask: { name: string; why: string }[] = [];
    for (const ref of refs) {
      const name = `${ref.server}.${ref.tool}`;
      const { decision, rule } = this.policy.decide(ref.server, ref.tool, await this.isDestructive(ref));
      const why = rule === undefined ? 'destructive' : `policy "${rule}": "${decision}"`;
      if (decision === 'deny') denied.push(`${name} (${why})`);
      if (decision === 'ask' && !ask.some((entry) => entry.name === name)) ask.push({ name, why });
    }
    if (denied.length > 0) {
      return { verdict: { ok: false, tools, message: `denied by runbyte.json policy: ${[...new Set(denied)].join(', ')}; nothing ran` } };
    }
    if (ask.length === 0) return { verdict: { ok: true, tools } };
    ask.sort((a, b) => compareStrings(a.name, b.name));
    const asked = ask.map((entry) => entry.name);
    const listed = ask.map((entry) => `${entry.name} (${entry.why})`).join(', ');
    const answer: ApprovalAnswer = approver ? await approver({ tools: ask }, signal) : { answer: 'refused', reason: 'nobody can be asked' };
    const approval: ApprovalRecord = { asked, answer: answer.answer };
    switch (answer.answer) {
      case 'accepted':
        return { verdict: { ok: true, tools }, approval };
      case 'declined':
        return { verdict: { ok: false, tools, message: `the user declined to approve ${listed}; nothing ran` }, approval };
      case 'refused':
        return {
          verdict: {
            ok: false,
            tools,
            message: `${listed} ${ask.length === 1 ? 'needs' : 'need'} approval and ${answer.reason}; nothing ran (or allow ${ask.length === 1 ? 'it' : 'them'} in runbyte.json "policy", e.g. "${asked[0]}": "allow")`,
          },
          approval,
        };
    }
  }

  /** A server's tool marked `destructiveHint: true` in its latest listing; a server that cannot be listed counts as not. */
  private async isDestructive(ref: ToolRef): Promise<boolean> {
    const tool = await this.options.tool(ref.server, ref.tool).catch(() => undefined);
    return tool?.annotations?.destructiveHint === true;
  }

  /** The lock's tool files by virtual path, made again whenever the lock changes on disk. */
  private async sdkFiles(): Promise<Map<string, ToolRef>> {
    const lock = await this.options.lock.current();
    if (this.sdk?.version === lock.version) return this.sdk.files;
    const files = new Map<string, ToolRef>();
    for (const summary of lock.servers) {
      for (const tool of summary.tools) files.set(`/${tool.file}`, { server: summary.server, tool: tool.name });
    }
    this.sdk = { version: lock.version, files };
    return files;
  }
}
