export { configCandidates, expandVars, findConfig, loadConfig, parseConfig, SAFE_SERVER_NAME } from './load.js';
export type { FindOptions } from './load.js';
export { findServer } from './servers.js';
export type { RemoteServerConfig, RunbyteConfig, ServerConfig, StdioServerConfig } from './types.js';
export { MAX_IDLE_SECONDS, MAX_SESSIONS } from './schema.js';
