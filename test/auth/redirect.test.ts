// The loopback listener of `auth login` (real HTTP on 127.0.0.1): it takes the code of the
// redirect that carries this login's state, refuses any other, and ends on an error answer, the
// timeout or Ctrl-C with a line saying which.
import { describe, expect, it } from 'vitest';
import { listenForRedirect } from '../../src/auth/redirect.js';

describe('the loopback redirect listener', () => {
  it('listens on 127.0.0.1 and takes the code of the redirect with its state; a stale one is refused', async () => {
    const listener = await listenForRedirect('github');
    try {
      expect(listener.redirectUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
      const code = listener.code('s1', 5000);
      const stale = await fetch(`${listener.redirectUrl}?code=old&state=s0`);
      expect(stale.status).toBe(400);
      expect(await stale.text()).toContain('not waiting for this redirect');
      const ok = await fetch(`${listener.redirectUrl}?code=abc&state=s1`);
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('received the login for github');
      expect(await code).toBe('abc');
      expect((await fetch(new URL('/elsewhere', listener.redirectUrl))).status).toBe(404);
    } finally {
      await listener.close();
    }
  });

  it('an error answer, the timeout and the signal each end the wait with their own line', async () => {
    const listener = await listenForRedirect('github');
    try {
      const refused = expect(listener.code('s', 5000)).rejects.toThrow('the authorization server refused the login for github: access_denied');
      await fetch(`${listener.redirectUrl}?error=access_denied&state=s`);
      await refused;
      await expect(listener.code('s', 50)).rejects.toThrow(`no login for github arrived at ${listener.redirectUrl} within 0.05 s`);
      const stop = new AbortController();
      const stopped = listener.code('s', 5000, stop.signal);
      stop.abort();
      await expect(stopped).rejects.toThrow('login for github stopped');
    } finally {
      await listener.close();
    }
  });
});
