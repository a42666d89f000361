// The loopback redirect listener of `auth login`: an HTTP server on 127.0.0.1 that waits for the
// authorization server to send the browser back with a code (RFC 8252: any port on the loopback
// address is allowed, so the port is the system's pick unless one is asked for).

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RunbyteError } from '../shared/errors.js';

export const CALLBACK_PATH = '/callback';

export interface RedirectListener {
  /** `http://127.0.0.1:<port>/callback` */
  readonly redirectUrl: string;
  /** The code of the first redirect that carries `state`; rejects on an error answer, the timeout or the signal. */
  code(state: string, timeoutMs: number, signal?: AbortSignal): Promise<string>;
  close(): Promise<void>;
}

const PAGE = (title: string, text: string) =>
  `<!doctype html><meta charset="utf-8"><title>${title}</title><body style="font-family:sans-serif;margin:3em"><h1>${title}</h1><p>${text}</p>`;

/** Opens the listener; `port` 0 lets the system choose. */
export async function listenForRedirect(server: string, port = 0): Promise<RedirectListener> {
  /** Hands a redirect to the waiting login; false when it is not that login's (no login waits, or another state). */
  let deliver: ((result: { code?: string; error?: string; state?: string }) => boolean) | undefined;
  const http: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (request.method !== 'GET' || url.pathname !== CALLBACK_PATH) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const code = url.searchParams.get('code') ?? undefined;
    const error = url.searchParams.get('error') ?? (code === undefined ? 'no code in the redirect' : undefined);
    const accepted = deliver?.({ code, error, state: url.searchParams.get('state') ?? undefined }) ?? false;
    const [status, page] = !accepted
      ? [400, PAGE('Not this login', 'runbyte is not waiting for this redirect (an old tab?). Start again with runbyte auth login.')]
      : error === undefined
        ? [200, PAGE('Logged in', `runbyte received the login for ${server}. You can close this tab.`)]
        : [400, PAGE('Login failed', 'runbyte says why in the terminal.')];
    response.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page);
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new RunbyteError('USAGE', `cannot listen on 127.0.0.1:${port} for the login redirect: ${error.code ?? error.message}`, {
          suggestions: ['pick another --port, or leave it out to let the system choose one'],
        }),
      ),
    );
    http.listen(port, '127.0.0.1', resolve);
  });
  const redirectUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}${CALLBACK_PATH}`;
  return {
    redirectUrl,
    code(state, timeoutMs, signal) {
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          finish();
          reject(
            new RunbyteError('SERVER_FAILED', `no login for ${server} arrived at ${redirectUrl} within ${Number((timeoutMs / 1000).toFixed(2))} s`, {
              suggestions: ['open the URL above in a browser; on another machine, forward the port first (README.md, "Remote servers that need a login")'],
            }),
          );
        }, timeoutMs);
        const onAbort = () => {
          finish();
          reject(new RunbyteError('SERVER_FAILED', `login for ${server} stopped`));
        };
        const finish = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          deliver = undefined;
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        deliver = (result) => {
          // A redirect for another attempt (a stale tab) is not this login's.
          if (result.state !== state) return false;
          finish();
          if (result.code !== undefined && result.error === undefined) resolve(result.code);
          else
            reject(
              new RunbyteError('SERVER_FAILED', `the authorization server refused the login for ${server}: ${printable(result.error ?? 'unknown error')}`),
            );
          return true;
        };
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}

/** Text from the redirect (the server's or anyone's) as one short printable line. */
function printable(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '');
  return clean.length > 100 ? `${clean.slice(0, 99)}…` : clean;
}
