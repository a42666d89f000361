import { describe, expect, it } from 'vitest';
import {
  camelCase,
  chooseNames,
  generateRoot,
  generateServer,
  namespaceIdentifier,
  namespaceIdentifiers,
  RESERVED_WORDS,
  toolIdentifiers,
  type ServerSummary,
} from '../../src/codegen/index.js';
import { shortHash } from '../../src/shared/json.js';

/** The 4-hex suffix rule 4 and 5 add: `_` + sha256(original name). */
function suffix(name: string, digits = 4): string {
  return `_${shortHash(name).slice('sha256-'.length, 'sha256-'.length + digits)}`;
}

function one(name: string): string {
  return toolIdentifiers([name]).get(name) as string;
}

describe('camelCase', () => {
  it.each([
    ['read_text_file', 'readTextFile'],
    ['read-text-file', 'readTextFile'],
    ['read.text/file', 'readTextFile'],
    ['read text file', 'readTextFile'],
    ['readTextFile', 'readTextFile'],
    ['ReadTextFile', 'readTextFile'],
    ['GET_USER', 'getUser'],
    ['URL', 'url'],
    ['XMLParse', 'xmlParse'],
    ['get_URL', 'getURL'],
    ['list_PRs', 'listPRs'],
    ['v2_get', 'v2Get'],
    ['get_2fa', 'get2fa'],
    ['__private__', 'private'],
    ['créer_entité', 'creerEntite'],
    ['ｆｕｌｌ_ｗｉｄｔｈ', 'fullWidth'],
    ['', ''],
  ])('%j → %j', (given, want) => {
    expect(camelCase(given).text).toBe(want);
  });

  it('reports characters it had to drop', () => {
    expect(camelCase('検索_files')).toEqual({ text: 'files', lossy: true });
    expect(camelCase('créer')).toEqual({ text: 'creer', lossy: false });
  });
});

describe('toolIdentifiers: one name', () => {
  it.each([
    // plain camelCase: not a rename
    ['read_text_file', 'readTextFile'],
    ['get_me', 'getMe'],
    ['type', 'type'],
    ['of', 'of'],
    ['constructor', 'constructor'],
    // reserved words get `_`
    ['delete', 'delete_'],
    ['class', 'class_'],
    ['enum', 'enum_'],
    ['await', 'await_'],
    ['yield', 'yield_'],
    ['let', 'let_'],
    ['static', 'static_'],
    ['implements', 'implements_'],
    ['default', 'default_'],
    ['eval', 'eval_'],
    ['arguments', 'arguments_'],
    ['undefined', 'undefined_'],
    ['require', 'require_'],
    ['call_tool', 'callTool_'],
    ['then', 'then_'],
    ['Delete', 'delete_'],
    // the folder's index.ts and Windows device names, in any case
    ['index', 'index_'],
    ['INDEX', 'index_'],
    ['con', 'con_'],
    ['NUL', 'nul_'],
    ['com1', 'com1_'],
    // leading digits
    ['2fa_verify', 'tool2faVerify'],
    ['123', 'tool123'],
    // paths are only words
    ['../../etc/passwd', 'etcPasswd'],
    ['a/b/c', 'aBC'],
    ['/absolute', 'absolute'],
    ['C:\\Windows\\system32', 'cWindowsSystem32'],
    ['with space', 'withSpace'],
    ['...hidden', 'hidden'],
  ])('%j → %j', (given, want) => {
    expect(one(given)).toBe(want);
  });

  it.each([
    ['', 'tool'],
    ['..', 'tool'],
    ['.', 'tool'],
    ['検索', 'tool'],
    ['emoji_🚀_launch', 'emojiLaunch'],
    ['zero\u200bwidth', 'zeroWidth'],
    ['x'.repeat(100), 'x'.repeat(64)],
  ])('%j loses characters: %j + a hash of the name', (given, want) => {
    expect(one(given)).toBe(want + suffix(given));
  });

  it('says why it renamed', () => {
    const choices = chooseNames(['delete', '検索', '2fa', 'read_file', 'x'.repeat(70), '']);
    expect(Object.fromEntries([...choices].map(([name, choice]) => [name.slice(0, 8), choice.reason]))).toEqual({
      delete: 'reserved word',
      検索: 'not ASCII',
      '2fa': 'starts with a digit',
      read_fil: undefined,
      xxxxxxxx: 'too long',
      '': 'empty',
    });
  });

  it('covers the reserved words the issue names', () => {
    for (const word of ['break', 'delete', 'class', 'enum', 'await', 'yield', 'let', 'static', 'implements', 'interface', 'package']) {
      expect(RESERVED_WORDS.has(word), word).toBe(true);
    }
  });
});

describe('toolIdentifiers: collisions', () => {
  const family = ['read_file', 'read-file', 'readFile', 'ReadFile', 'READ_FILE', 'read.file', 'readfile'];

  it('the tool spelled like the identifier keeps it; the others get a hash of their own name', () => {
    const ids = toolIdentifiers(family);
    expect(ids.get('readFile')).toBe('readFile');
    for (const name of family.filter((n) => n !== 'readFile')) {
      const base = name === 'readfile' ? 'readfile' : 'readFile';
      expect(ids.get(name), name).toBe(base + suffix(name));
    }
  });

  it('never gives two tools names that are equal ignoring case (file names on macOS)', () => {
    const ids = [...toolIdentifiers(family).values()];
    expect(new Set(ids.map((id) => id.toLowerCase())).size).toBe(family.length);
  });

  it('does not depend on the order of the list', () => {
    const forward = toolIdentifiers(family);
    const backward = toolIdentifiers([...family].reverse());
    expect([...backward].sort()).toEqual([...forward].sort());
  });

  it('adding a tool does not rename unrelated ones', () => {
    const before = toolIdentifiers(['get_me', 'read_file', 'delete']);
    const after = toolIdentifiers(['get_me', 'read_file', 'delete', 'list_files', 'getMe2']);
    for (const [name, id] of before) expect(after.get(name), name).toBe(id);
  });

  it('adding a colliding tool renames only the ones that collide', () => {
    const after = toolIdentifiers(['get_me', 'read_file', 'readFile']);
    expect(after.get('get_me')).toBe('getMe');
    expect(after.get('readFile')).toBe('readFile');
    expect(after.get('read_file')).toBe(`readFile${suffix('read_file')}`);
  });

  it('when no tool is spelled exactly, all colliding ones get a suffix', () => {
    const ids = toolIdentifiers(['read_file', 'read-file']);
    expect(ids.get('read_file')).toBe(`readFile${suffix('read_file')}`);
    expect(ids.get('read-file')).toBe(`readFile${suffix('read-file')}`);
  });

  it('a reserved-word rename can collide too, and is resolved the same way', () => {
    const ids = toolIdentifiers(['delete', 'delete_', 'DELETE']);
    expect(ids.get('delete_')).toBe('delete_');
    expect(ids.get('delete')).toBe(`delete${suffix('delete')}`);
    expect(ids.get('DELETE')).toBe(`delete${suffix('DELETE')}`);
  });

  it('collides with index.ts ignoring case', () => {
    const ids = toolIdentifiers(['index', 'Index']);
    expect(new Set([...ids.values()].map((id) => id.toLowerCase())).size).toBe(2);
    for (const id of ids.values()) expect(id.toLowerCase()).not.toBe('index');
  });

  it('always gives safe ASCII identifiers that start with a lowercase letter', () => {
    const names = ['', ' ', '0', '$', '_', '__proto__', '\u0000', '\ud800', '../..', 'a'.repeat(500), ...family];
    for (const id of toolIdentifiers(names).values()) expect(id).toMatch(/^[a-z][A-Za-z0-9_]*$/);
  });
});

describe('namespaces', () => {
  it.each([
    ['github', 'github'],
    ['my-server', 'myServer'],
    ['my_server', 'myServer'],
    ['class', 'class_'],
    ['default', 'default_'],
    ['Memory', 'memory'],
  ])('%j → %j', (server, want) => {
    expect(namespaceIdentifier(server)).toBe(want);
  });

  it('tells apart servers whose names give the same namespace', () => {
    const ids = namespaceIdentifiers(['my-server', 'my_server', 'myServer']);
    expect(ids.get('myServer')).toBe('myServer');
    expect(ids.get('my-server')).toBe(`myServer${suffix('my-server')}`);
    expect(ids.get('my_server')).toBe(`myServer${suffix('my_server')}`);
  });

  it('servers/index.ts uses the collision-free namespaces, sorted by server', () => {
    const summaries: ServerSummary[] = ['my_server', 'class', 'my-server'].map((server) => generateServer({ server, tools: [] }).summary);
    const index = generateRoot(summaries, 'runbyte test').find((file) => file.path === 'servers/index.ts');
    expect(index?.text).toBe(
      [
        '// Code generated by runbyte. DO NOT EDIT.',
        "export * as class_ from './class/index.js';",
        `export * as myServer${suffix('my-server')} from './my-server/index.js';`,
        `export * as myServer${suffix('my_server')} from './my_server/index.js';`,
        '',
      ].join('\n'),
    );
  });
});
