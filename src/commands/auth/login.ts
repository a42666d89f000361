import { Args, Flags } from '@oclif/core';
import { type LoginResult, login, remoteServer } from '../../auth/index.js';
import { RunbyteCommand } from '../base.js';

export default class AuthLogin extends RunbyteCommand {
  static override description = 'Log in to a remote MCP server that needs one (OAuth), and store its tokens for runbyte';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> auth login github', '<%= config.bin %> auth login github --no-browser'];
  static override args = {
    server: Args.string({ description: 'the server, by its name in runbyte.json', required: true }),
  };
  static override flags = {
    browser: Flags.boolean({
      default: true,
      allowNo: true,
      description: 'open the authorization URL in a browser where one can be opened (--no-browser only prints it)',
    }),
    timeout: Flags.integer({ default: 300, min: 1, description: 'seconds to wait for the redirect back' }),
    port: Flags.integer({ default: 0, min: 0, max: 65535, description: 'loopback port of the redirect (default: any free port)' }),
  };

  async run(): Promise<LoginResult> {
    const { args, flags } = await this.parse(AuthLogin);
    const server = remoteServer(this.loadConfig(flags.config), args.server);
    // The URL goes to stderr under --json, so stdout stays one JSON value.
    const say = (line: string) => (this.jsonEnabled() ? process.stderr.write(`${line}\n`) : this.log(line));
    // Ctrl-C ends the wait with a line saying so, and the listener closes.
    const stop = new AbortController();
    const onInterrupt = () => stop.abort();
    process.once('SIGINT', onInterrupt);
    let result: LoginResult;
    try {
      result = await login(server, { browser: flags.browser, timeoutMs: flags.timeout * 1000, port: flags.port, say, signal: stop.signal });
    } finally {
      process.off('SIGINT', onInterrupt);
    }
    const scopes = result.scopes.length ? `scopes ${result.scopes.join(' ')}` : 'no scopes named';
    const expiry = result.expiresAt ? `; the access token expires ${result.expiresAt}${result.refreshable ? ' and is refreshed automatically' : ''}` : '';
    this.log(`Logged in to ${result.server} (${result.url}): ${scopes}${expiry}`);
    return result;
  }
}
