/**
 * All diagnostics go to stderr: under `serve --transport stdio`, stdout is the wire.
 */
let debugEnabled = process.env.RUNBYTE_DEBUG === '1';

export function setDebug(enabled: boolean): void {
  debugEnabled = enabled;
}

export function isDebug(): boolean {
  return debugEnabled;
}

export function log(message: string): void {
  process.stderr.write(`runbyte: ${message}\n`);
}

export function debug(message: string): void {
  if (debugEnabled) process.stderr.write(`runbyte[debug]: ${message}\n`);
}
