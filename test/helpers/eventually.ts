/** Resolves once `check()` holds, polling every 5 ms; rejects after `timeoutMs`. */
export function eventually(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const until = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (check()) return resolve();
      if (Date.now() > until) return reject(new Error('condition not met in time'));
      setTimeout(poll, 5);
    };
    poll();
  });
}
