// Relaying a call's `notifications/progress` to its caller.
//
// Not through the SDK's `onprogress` request option: the SDK runs notification handlers a
// microtask late but handles a response at once, and it drops a call's progress handler with its
// response. A server that reports its last step and answers right after (in one read, as stdio
// often delivers them) would lose that report. Here the reports are taken from the transport as
// they arrive, before the SDK sees the response that follows them.

import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ProgressNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { CallOptions } from './types.js';

type OnProgress = NonNullable<CallOptions['onProgress']>;
/** One report as a caller hears it. */
export type ProgressReport = Parameters<OnProgress>[0];

/** Marks runbyte's own progress tokens, so reports that come after their call ended are dropped quietly. */
const TOKEN_PREFIX = 'runbyte-progress-';

/** The calls of one connection that asked for progress, by the token their request carries. */
export class ProgressRelays {
  private readonly relays = new Map<string, OnProgress>();
  private next = 0;

  /**
   * A token for one call's request (`params._meta.progressToken`); until `release`, every report
   * carrying it goes to `onProgress`.
   */
  open(onProgress: OnProgress): { token: string; release: () => void } {
    const token = `${TOKEN_PREFIX}${++this.next}`;
    this.relays.set(token, onProgress);
    return { token, release: () => this.relays.delete(token) };
  }

  /**
   * Makes `transport` hand runbyte's progress reports to their calls as they arrive, and pass
   * every other message on to the SDK. Call it once the client is connected (Protocol.connect
   * sets the handler this wraps).
   */
  intercept(transport: Transport): void {
    const deliver = transport.onmessage;
    transport.onmessage = (message, extra) => {
      if (!this.take(message)) deliver?.(message, extra);
    };
  }

  /** True when `message` was a progress report for one of runbyte's tokens (relayed, or late and dropped). */
  private take(message: unknown): boolean {
    if ((message as { method?: unknown }).method !== 'notifications/progress') return false;
    const parsed = ProgressNotificationSchema.safeParse(message);
    if (!parsed.success) return false;
    const { progressToken, progress, total, message: text } = parsed.data.params;
    if (typeof progressToken !== 'string' || !progressToken.startsWith(TOKEN_PREFIX)) return false;
    this.relays.get(progressToken)?.({ progress, ...(total === undefined ? {} : { total }), ...(text === undefined ? {} : { message: text }) });
    return true;
  }
}
