// The SDK's runbyte.lock.json as it is on disk now, for those that follow it while serve runs (the
// policy check of every execution, search_tools' index): read and parsed once per version.

import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseLock, type ServerSummary } from '../codegen/lock.js';
import { readInside } from '../vfs/jail.js';

const LOCK = 'runbyte.lock.json';

/** One version of the lock: `version` changes whenever the file does; no lock, or one that does not parse, lists no servers. */
export interface LockVersion {
  version: string;
  servers: ServerSummary[];
}

export class LockFile {
  private last?: { version: string; read: Promise<LockVersion> };

  constructor(readonly outDir: string) {}

  /** The lock now: a stat per call, a read and a parse (through the jail) only when it changed. */
  async current(): Promise<LockVersion> {
    const version = await stat(join(this.outDir, LOCK)).then(
      (info) => `${info.ino}:${info.size}:${info.mtimeMs}`,
      () => 'none',
    );
    if (this.last?.version !== version) {
      // A lock being rewritten elsewhere, or edited by hand into something else: no servers yet.
      const read = readInside(this.outDir, LOCK)
        .then((data) => parseLock(data.toString('utf8')))
        .catch((): ServerSummary[] => [])
        .then((servers) => ({ version, servers }));
      this.last = { version, read };
    }
    return this.last.read;
  }
}
