export { Engine, type EngineOptions, type LiveOptions } from './engine.js';
export { hostnameOf, isLocalOrigin, isLoopbackHost, serveHttp, type HttpHandle, type HttpOptions } from './http.js';
export { createSession, toResult } from './server.js';
export { serveStdio } from './stdio.js';
export { TOOLS } from './tools.js';
