import { createRequire } from 'node:module';
import type ts from 'typescript';

let loaded: typeof ts | undefined;

/**
 * The `typescript` module, loaded on first use. `createRequire` rather than an ESM import: the
 * CommonJS build loads in ~140 ms instead of ~400 ms (docs/decisions.md, trap 5), and lazily so that
 * commands which never check code never pay for it.
 */
export function typescript(): typeof ts {
  loaded ??= createRequire(import.meta.url)('typescript') as typeof ts;
  return loaded;
}
