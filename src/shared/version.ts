import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** runbyte's version, from package.json. */
export const VERSION: string = pkg.version;

/** The generator line written to runbyte.lock.json. */
export const GENERATOR = `runbyte ${VERSION}`;
