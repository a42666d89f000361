import { loginStatus, type ServerLoginStatus } from '../../auth/index.js';
import { RunbyteCommand } from '../base.js';

export default class AuthStatus extends RunbyteCommand {
  static override description = 'Show the login state of each remote server (never a token)';
  static override enableJsonFlag = true;

  async run(): Promise<{ servers: ServerLoginStatus[] }> {
    const { flags } = await this.parse(AuthStatus);
    const config = this.loadConfig(flags.config);
    const servers = await loginStatus(config.servers.filter((server) => server.transport !== 'stdio'));
    if (servers.length === 0) this.log(`no remote servers in ${config.path}`);
    for (const server of servers) {
      const expiry = server.expiresAt ? `, ${Date.parse(server.expiresAt) > Date.now() ? 'expires' : 'expired'} ${server.expiresAt}` : '';
      const refresh = server.state === 'logged in' && server.refreshable ? ', refreshable' : '';
      const note = server.note ? ` (${server.note})` : '';
      this.log(`${server.server}: ${server.state}${expiry}${refresh}${note}`);
    }
    return { servers };
  }
}
