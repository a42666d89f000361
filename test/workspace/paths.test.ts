import { describe, expect, it } from 'vitest';
import { FsFault, toVirtual } from '../../src/workspace/index.js';

describe('toVirtual: agent paths → /workspace paths', () => {
  it.each([
    ['/workspace', '/workspace'],
    ['/workspace/', '/workspace'],
    ['', '/workspace'],
    ['.', '/workspace'],
    ['./', '/workspace'],
    ['notes.txt', '/workspace/notes.txt'],
    ['./notes.txt', '/workspace/notes.txt'],
    ['skills/math.ts', '/workspace/skills/math.ts'],
    ['/workspace/skills/math.ts', '/workspace/skills/math.ts'],
    // The path code imports a skill by names the same file.
    ['./workspace/skills/math.ts', '/workspace/skills/math.ts'],
    ['workspace/skills/math.ts', '/workspace/skills/math.ts'],
    ['workspace', '/workspace'],
    ['/workspace/workspace/x', '/workspace/workspace/x'],
    ['a/../b.txt', '/workspace/b.txt'],
    ['/workspace/a/./b//c.txt', '/workspace/a/b/c.txt'],
    ['skills\\math.ts', '/workspace/skills/math.ts'],
    ['.hidden', '/workspace/.hidden'],
    ['workspaces/x', '/workspace/workspaces/x'],
  ])('%j → %s', (input, want) => {
    expect(toVirtual(input)).toBe(want);
  });

  it.each([
    ['../x', '@runbyte/fs: ../x is outside /workspace'],
    ['..', '@runbyte/fs: .. is outside /workspace'],
    ['a/../../x', '@runbyte/fs: a/../../x is outside /workspace'],
    ['/etc/passwd', '@runbyte/fs: /etc/passwd is outside /workspace'],
    ['/workspace/../etc/passwd', '@runbyte/fs: /workspace/../etc/passwd is outside /workspace'],
    ['/workspaces/x', '@runbyte/fs: /workspaces/x is outside /workspace'],
    ['/servers/memory/index.ts', '@runbyte/fs: /servers/memory/index.ts is outside /workspace'],
    ['/', '@runbyte/fs: / is outside /workspace'],
    ['workspace/../../x', '@runbyte/fs: workspace/../../x is outside /workspace'],
  ])('refuses %j', (input, message) => {
    let thrown: unknown;
    try {
      toVirtual(input);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(FsFault);
    expect((thrown as FsFault).code).toBe('EACCES');
    expect((thrown as FsFault).message).toBe(message);
  });

  it.each([
    [42, '@runbyte/fs: a path must be a string, not number'],
    [null, '@runbyte/fs: a path must be a string, not null'],
    ['a\0b', '@runbyte/fs: "a\\u0000b" is not a valid path'],
  ])('rejects %j as an invalid argument', (input, message) => {
    expect(() => toVirtual(input)).toThrow(message);
  });
});
