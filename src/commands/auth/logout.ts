import { Args } from '@oclif/core';
import { type LogoutResult, logout, remoteServer } from '../../auth/index.js';
import { RunbyteCommand } from '../base.js';

export default class AuthLogout extends RunbyteCommand {
  static override description = "Forget a remote server's login (and revoke it at the server when it offers revocation)";
  static override enableJsonFlag = true;
  static override args = {
    server: Args.string({ description: 'the server, by its name in runbyte.json', required: true }),
  };

  async run(): Promise<LogoutResult> {
    const { args, flags } = await this.parse(AuthLogout);
    const result = await logout(remoteServer(this.loadConfig(flags.config), args.server));
    if (!result.removed) this.log(`${result.server}: not logged in; nothing to forget`);
    else
      this.log(
        `${result.server}: logged out${result.revoked === undefined ? '' : result.revoked === 'revoked' ? ' (tokens revoked at the server)' : ` (${result.revoked})`}`,
      );
    return result;
  }
}
