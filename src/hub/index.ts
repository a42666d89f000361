/**
 * hub/: the downstream MCP servers (the only MCP client user). See docs/architecture.md.
 */
export { Hub } from './hub.js';
export { logLine } from './describe.js';
export { loadToolValue, type ToolValue } from './tool-value.js';
export { hubOptions } from './options.js';
export type {
  CallOptions,
  ClientRequest,
  ClientRequestHandler,
  ClientRequestMethod,
  HubOptions,
  LogEvent,
  LoggingLevel,
  OfferingRequest,
  ServerFailure,
  ToolCallResult,
  ToolContent,
  ToolsChangedReason,
} from './types.js';
