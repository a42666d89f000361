/**
 * Operator-facing errors: a bad config, a server that will not start, a stale SDK.
 * Problems in agent code are never thrown: they are values (see exec/).
 */

/** String codes; `commands/` maps each to an exit status. */
export type ErrorCode =
  | 'CONFIG_NOT_FOUND'
  | 'CONFIG_INVALID'
  | 'CONFIG_ENV'
  | 'USAGE'
  | 'SERVER_FAILED'
  | 'TOOL_FAILED'
  | 'STALE_SDK'
  | 'SCRIPT_FAILED'
  | 'INTERNAL';

export interface RunbyteErrorOptions {
  suggestions?: string[];
  cause?: unknown;
}

export class RunbyteError extends Error {
  override readonly name = 'RunbyteError';
  readonly code: ErrorCode;
  readonly suggestions: string[];

  constructor(code: ErrorCode, message: string, options: RunbyteErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.suggestions = options.suggestions ?? [];
  }
}

/** Exit status for an error code: 2 for usage and config, 1 for a job that failed. */
export function exitCodeFor(code: ErrorCode): number {
  return code === 'CONFIG_NOT_FOUND' || code === 'CONFIG_INVALID' || code === 'CONFIG_ENV' || code === 'USAGE' ? 2 : 1;
}

/** The message of anything thrown, for one-line reports. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
