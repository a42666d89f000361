import Call from './call.js';
import Generate from './generate.js';
import List from './list.js';
import Run from './run.js';
import Serve from './serve.js';

/** oclif's explicit command discovery (package.json "oclif.commands"). */
export const COMMANDS = {
  call: Call,
  generate: Generate,
  list: List,
  run: Run,
  serve: Serve,
};
