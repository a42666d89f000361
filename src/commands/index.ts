import AuthLogin from './auth/login.js';
import AuthLogout from './auth/logout.js';
import AuthStatus from './auth/status.js';
import Audit from './audit.js';
import Call from './call.js';
import Diff from './diff.js';
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
  audit: Audit,
  call: Call,
  diff: Diff,
  generate: Generate,
  import: Import,
  list: List,
  run: Run,
  serve: Serve,
};
