import AuthLogin from './auth/login.js';
import AuthLogout from './auth/logout.js';
import AuthStatus from './auth/status.js';
import Call from './call.js';
import Generate from './generate.js';
import Import from './import.js';
import List from './list.js';
import Run from './run.js';
import Serve from './serve.js';

/** oclif's explicit command discovery (package.json "oclif.commands"). */
export const COMMANDS = {
  'auth:login': AuthLogin,
  'auth:logout': AuthLogout,
  'auth:status': AuthStatus,
  call: Call,
  generate: Generate,
  import: Import,
  list: List,
  run: Run,
  serve: Serve,
};
