/**
 * auth/: OAuth 2.1 for remote MCP servers (the MCP authorization spec), through the SDK's client
 * `auth()`: the client provider, the token store, the loopback redirect listener, and the login,
 * status and logout jobs. hub/ uses `serverLogin`; the `auth` commands use the rest. See
 * docs/architecture.md and docs/security.md.
 */
export { type LoginOptions, type LoginResult, login, remoteServer } from './login.js';
export { LoginRequired } from './provider.js';
export { type LoginState, type LogoutResult, loginStatus, logout, type ServerLoginStatus } from './status.js';
export { authDir, loginPath } from './store.js';
export { ServerLogin, serverLogin, type TransportAuth } from './transport.js';
