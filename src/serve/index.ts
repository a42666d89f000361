export { Engine, type EngineOptions, type LiveOptions } from './engine.js';
export { serveHttp, isLocalOrigin, type HttpHandle, type HttpOptions } from './http.js';
export { createSession, toResult } from './server.js';
export { serveStdio } from './stdio.js';
export { TOOLS } from './tools.js';
