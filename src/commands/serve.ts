import { relative } from 'node:path';
import { Flags } from '@oclif/core';
import { MAX_IDLE_SECONDS, MAX_SESSIONS } from '../config/index.js';
import { Engine, hostnameOf, isLoopbackHost, serveHttp, serveStdio } from '../serve/index.js';
import { RunbyteError } from '../shared/errors.js';
import { log } from '../shared/log.js';
import { RunbyteCommand } from './base.js';

export default class Serve extends RunbyteCommand {
  static override description = 'Serve the SDK to agents as an MCP server: list_directory, read_file, execute_code';
  static override examples = [
    '<%= config.bin %> serve',
    '<%= config.bin %> serve --transport http --port 3000',
    'RUNBYTE_TOKEN=secret <%= config.bin %> serve --transport http --host 0.0.0.0',
  ];

  static override flags = {
    transport: Flags.string({ char: 't', options: ['stdio', 'http'], default: 'stdio', description: 'how clients connect' }),
    host: Flags.string({ default: '127.0.0.1', description: 'HTTP: address to bind' }),
    port: Flags.integer({ char: 'p', description: 'HTTP: port (default: server.port from the config, else 3000; 0 picks a free one)' }),
    token: Flags.string({ env: 'RUNBYTE_TOKEN', description: 'HTTP: require Authorization: Bearer <token> (required when --host is not a loopback address)' }),
    'allowed-host': Flags.string({
      multiple: true,
      description: 'HTTP: another name clients use in the Host header (besides localhost, 127.0.0.1, [::1] and --host); repeatable',
    }),
    'max-sessions': Flags.integer({
      description: 'HTTP: sessions open at once (default: server.maxSessions from the config, else 100)',
    }),
    'session-idle-seconds': Flags.integer({
      description: 'HTTP: close a session idle this long (default: server.sessionIdleSeconds from the config, else 1800)',
    }),
    frozen: Flags.boolean({ description: 'serve the SDK on disk as it is (warn when it differs from the live servers)' }),
    locked: Flags.boolean({
      description: 'serve the SDK on disk as reviewed: a tool that differs from runbyte.lock.json is not callable (also "locked": true)',
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Serve);
    if (flags.transport === 'http') {
      checkExposure(flags.host, flags.token, flags['allowed-host'] ?? []);
      checkRange('--max-sessions', flags['max-sessions'], MAX_SESSIONS);
      checkRange('--session-idle-seconds', flags['session-idle-seconds'], MAX_IDLE_SECONDS);
    }
    const config = this.loadConfig(flags.config);
    const locked = flags.locked || config.locked === true;
    const engine = await Engine.start(config, { regenerate: flags.frozen ? 'never' : 'always', warnDrift: flags.frozen, locked });
    // Live tools (README.md, "Live tools"): list_changed rewrites the SDK (not under --frozen or
    // --locked, where the SDK stays as reviewed); file changes reach the executor.
    await engine.startLive({ regenerate: !flags.frozen && !locked }).catch(async (error: unknown) => {
      await engine.close();
      throw error;
    });
    engine.prime();
    const out = relative(process.cwd(), config.outDir) || '.';
    log(`${engine.hub.connected().length}/${config.servers.length} servers connected; SDK in ${out}`);

    let stopping = false;
    const stop = async (code: number) => {
      if (stopping) return;
      stopping = true;
      await closeHttp?.();
      await engine.close();
      process.exit(code);
    };
    let closeHttp: (() => Promise<void>) | undefined;
    process.once('SIGINT', () => void stop(130));
    process.once('SIGTERM', () => void stop(143));

    if (flags.transport === 'stdio') {
      await serveStdio(engine);
      await stop(0);
      return;
    }
    const port = flags.port ?? config.server.port;
    const handle = await serveHttp(engine, {
      host: flags.host,
      port,
      token: flags.token,
      allowedHosts: flags['allowed-host'],
      sessionIdleSeconds: flags['session-idle-seconds'] ?? config.server.sessionIdleSeconds,
      maxSessions: flags['max-sessions'] ?? config.server.maxSessions,
    }).catch((error: unknown) => {
      void engine.close();
      throw new RunbyteError('USAGE', `cannot listen on ${flags.host}:${port}: ${(error as Error).message}`, {
        suggestions: ['pick another port with --port, or 0 for a free one'],
      });
    });
    closeHttp = handle.close;
    const everywhere = handle.remoteUrl ? ` (listening on all interfaces; from other machines: ${handle.remoteUrl})` : '';
    process.stderr.write(`runbyte: serving ${handle.url}${everywhere}\n`);
    process.stderr.write(
      `runbyte: client config: ${JSON.stringify({ mcpServers: { runbyte: { type: 'http', url: handle.url, ...(flags.token ? { headers: { Authorization: 'Bearer ${RUNBYTE_TOKEN}' } } : {}) } } })}\n`,
    );
    await new Promise(() => {});
  }
}

/**
 * Over HTTP, `execute_code` runs code for whoever can connect: off loopback, a token is required.
 * Checked before anything starts, so a refused `serve` leaves no child servers behind.
 */
function checkExposure(host: string, token: string | undefined, allowedHosts: string[]): void {
  if (!isLoopbackHost(host) && !token) {
    throw new RunbyteError(
      'USAGE',
      `--host ${host} lets other machines run code through execute_code; set a token with --token or RUNBYTE_TOKEN, or bind 127.0.0.1`,
    );
  }
  for (const name of allowedHosts) {
    if (hostnameOf(name) === undefined) {
      throw new RunbyteError('USAGE', `--allowed-host ${JSON.stringify(name)}: expected a host name or address, like mcp.example.com or 192.168.1.5`);
    }
  }
}

/** The same bounds as `server.maxSessions` / `server.sessionIdleSeconds` in the config schema. */
function checkRange(flag: string, value: number | undefined, max: number): void {
  if (value !== undefined && (value < 1 || value > max)) {
    throw new RunbyteError('USAGE', `${flag} ${value}: expected a whole number from 1 to ${max}`);
  }
}
