import { describe, expect, it } from 'vitest';
import { MAIN_FUNCTION, prepareAgentCode, WRAPPER_LINES } from '../../src/check/index.js';

const MAIN = `export default async function ${MAIN_FUNCTION}() {`;

/** The prepared text as lines, trailing blanks trimmed (blanking is checked column by column below). */
function lines(text: string): string[] {
  return text.split('\n').map((line) => line.trimEnd());
}

describe('prepareAgentCode: given/want', () => {
  const cases: { name: string; given: string; want: string[] }[] = [
    {
      name: 'top-level await and return, one import',
      given: "import { readGraph } from './servers/memory';\nconst graph = await readGraph();\nreturn graph.entities.length;",
      want: [`import { readGraph } from './servers/memory'; ${MAIN}`, '', 'const graph = await readGraph();', 'return graph.entities.length;', '}', ''],
    },
    {
      name: 'exec style is called and its value returned',
      given: "import * as fs from '/servers/filesystem';\n\nasync function exec() {\n  return fs.readTextFile({ path: 'a' });\n}\n",
      want: [
        `import * as fs from '/servers/filesystem'; ${MAIN}`,
        '',
        '',
        'async function exec() {',
        "  return fs.readTextFile({ path: 'a' });",
        '}',
        '',
        'return await exec();',
        '}',
        '',
      ],
    },
    {
      name: 'no imports',
      given: 'const x = 1;\nreturn x + 1;',
      want: [MAIN, 'const x = 1;', 'return x + 1;', '}', ''],
    },
    {
      name: 'only an expression statement',
      given: '1+1',
      want: [MAIN, '1+1', '}', ''],
    },
    {
      name: 'const exec arrow',
      given: 'const exec = async () => 42;',
      want: [MAIN, 'const exec = async () => 42;', 'return await exec();', '}', ''],
    },
    {
      name: 'exec and a top-level return: the agent calls it',
      given: 'async function exec() { return 1; }\nreturn (await exec()) + 1;',
      want: [MAIN, 'async function exec() { return 1; }', 'return (await exec()) + 1;', '}', ''],
    },
    {
      name: 'a final `await exec();` is replaced by returning its value, called once',
      given: 'async function exec() { return 1; }\nawait exec();\n',
      want: [MAIN, 'async function exec() { return 1; }', '', '', 'return await exec();', '}', ''],
    },
    {
      name: 'exec called elsewhere at top level is not called again',
      given: 'async function exec() { return 1; }\nexec().then((v) => console.log(v));\nconsole.log("after");',
      want: [MAIN, 'async function exec() { return 1; }', 'exec().then((v) => console.log(v));', 'console.log("after");', '}', ''],
    },
    {
      name: 'exec called twice at top level: left as the agent wrote it',
      given: 'async function exec() { return 1; }\nconsole.log(await exec());\nawait exec();',
      want: [MAIN, 'async function exec() { return 1; }', 'console.log(await exec());', 'await exec();', '}', ''],
    },
    {
      name: 'a return inside a nested function is not a top-level return',
      given: 'async function exec() {\n  const f = () => { return 2; };\n  return f();\n}',
      want: [MAIN, 'async function exec() {', '  const f = () => { return 2; };', '  return f();', '}', 'return await exec();', '}', ''],
    },
    {
      name: 'a return inside if/try/for at top level is a top-level return',
      given: 'async function exec() { return 1; }\ntry {\n  if (true) { for (;;) { return 2; } }\n} finally {}',
      want: [MAIN, 'async function exec() { return 1; }', 'try {', '  if (true) { for (;;) { return 2; } }', '} finally {}', '}', ''],
    },
    {
      name: 'a return inside a class method is not a top-level return',
      given: 'class A { m() { return 1; } }\nasync function exec() { return new A().m(); }',
      want: [MAIN, 'class A { m() { return 1; } }', 'async function exec() { return new A().m(); }', 'return await exec();', '}', ''],
    },
    {
      name: 'import type, side-effect imports, dynamic import()',
      given: "import type { ReadGraphResult } from './servers/memory';\nimport './workspace/setup';\nconst m = await import('./workspace/x');\nreturn m;",
      want: [
        `import type { ReadGraphResult } from './servers/memory'; import './workspace/setup'; ${MAIN}`,
        '',
        '',
        "const m = await import('./workspace/x');",
        'return m;',
        '}',
        '',
      ],
    },
    {
      name: 'multi-line import with a line comment; no semicolon',
      given: "import {\n  readGraph, // the graph\n  createEntities,\n} from './servers/memory'\nreturn 1;",
      want: [`import {   readGraph,                createEntities, } from './servers/memory'; ${MAIN}`, '', '', '', '', 'return 1;', '}', ''],
    },
    {
      name: 'an import after code is hoisted; code on its line stays put',
      given: "const a = 1; import { x } from './servers';\nreturn a;",
      want: [`import { x } from './servers'; ${MAIN}`, 'const a = 1;', 'return a;', '}', ''],
    },
    {
      name: 'export modifiers are blanked',
      given: 'export const x = 1;\nexport interface I { a: number }\nexport async function exec() { return x; }',
      want: [MAIN, '       const x = 1;', '       interface I { a: number }', '       async function exec() { return x; }', 'return await exec();', '}', ''],
    },
    {
      name: 'export default async function exec',
      given: 'export default async function exec() { return 1; }',
      want: [MAIN, '               async function exec() { return 1; }', 'return await exec();', '}', ''],
    },
    {
      name: 'export default anonymous function becomes the entry',
      given: 'export default async function () { return 1; }',
      want: [MAIN, 'const __main = async function () { return 1; }', 'return await __main();', '}', ''],
    },
    {
      name: 'export default arrow becomes the entry',
      given: 'export default async () => 1;',
      want: [MAIN, 'const __main = async () => 1;', 'return await __main();', '}', ''],
    },
    {
      name: 'export default of a value is returned',
      given: 'const a = 2;\nexport default { a };',
      want: [MAIN, 'const a = 2;', 'return         { a };', '}', ''],
    },
    {
      name: 'export default of a declared function names the entry',
      given: 'async function main() { return 3; }\nexport default main;',
      want: [MAIN, 'async function main() { return 3; }', '', 'return await main();', '}', ''],
    },
    {
      name: 'export { } and export * are dropped',
      given: "const a = 1;\nexport { a };\nexport * from './servers';\nreturn a;",
      want: [MAIN, 'const a = 1;', '', '', 'return a;', '}', ''],
    },
    {
      name: 'shebang, BOM and CRLF',
      given: "\uFEFF#!/usr/bin/env runbyte\r\nimport { x } from './servers';\r\nreturn x;\r\n",
      want: [`import { x } from './servers'; ${MAIN}`, '', '', 'return x;', '', '}', ''],
    },
  ];

  it.each(cases)('$name', ({ given, want }) => {
    const prepared = prepareAgentCode(given);
    expect(lines(prepared.text)).toEqual(want);
  });

  it.each(cases)('keeps every line of the agent at its line and length: $name', ({ given }) => {
    const source = given.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
    const output = prepareAgentCode(given).text.split('\n');
    source.forEach((line, index) => {
      const out = output[index + WRAPPER_LINES]!;
      expect(out.length).toBe(line.length);
      // Every character is the agent's own or a blank (or a same-length `export default` rewrite).
      for (let column = 0; column < line.length; column++) {
        if (out[column] !== line[column] && out[column] !== ' ') expect(line.slice(0, 14)).toMatch(/export default|export =/);
      }
    });
  });
});

describe('prepareAgentCode: toSource', () => {
  const source = [
    "import { readGraph } from './servers/memory';", // 1
    'const a = 1;', // 2
    'import {', // 3
    '  createEntities, // c', // 4
    "} from './servers/memory';", // 5
    'async function exec() {', // 6
    '  return a;', // 7
    '}', // 8
  ].join('\n');
  const prepared = prepareAgentCode(source);
  const line1 = prepared.text.split('\n')[0]!;
  const col = (needle: string) => line1.indexOf(needle) + 1;

  it.each([
    { name: 'a body line', at: [3, 7], want: { line: 2, column: 7 } },
    { name: 'the last body line', at: [9, 1], want: { line: 8, column: 1 } },
    { name: 'first import, its name', at: [1, col('readGraph')], want: { line: 1, column: 10 } },
    { name: 'first import, its specifier', at: [1, col("'./servers/memory'")], want: { line: 1, column: 27 } },
    { name: 'multi-line import, a name on its 2nd line', at: [1, col('createEntities')], want: { line: 4, column: 3 } },
    { name: 'multi-line import, its specifier on its 3rd line', at: [1, line1.lastIndexOf("'./servers") + 1], want: { line: 5, column: 8 } },
    { name: 'the wrapper on line 1', at: [1, col('export default') + 5], want: { line: 1, column: 1 } },
    { name: 'the appended call: the end of the code', at: [10, 1], want: { line: 8, column: 2 } },
    { name: 'the closing brace', at: [11, 1], want: { line: 8, column: 2 } },
  ])('$name', ({ at, want }) => {
    expect(prepared.toSource(at[0]!, at[1]!)).toEqual(want);
  });

  it('maps the same way for CRLF sources', () => {
    const crlf = prepareAgentCode(source.replace(/\n/g, '\r\n'));
    expect(crlf.text).toBe(prepared.text);
    expect(crlf.toSource(1, col('createEntities'))).toEqual({ line: 4, column: 3 });
  });
});
