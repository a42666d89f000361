export { configCandidates, expandVars, findConfig, loadConfig, parseConfig, SAFE_SERVER_NAME } from './load.js';
export type { FindOptions } from './load.js';
export type { RemoteServerConfig, RunbyteConfig, ServerConfig, StdioServerConfig } from './types.js';
