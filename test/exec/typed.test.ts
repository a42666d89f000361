// Typed results end to end: a server that breaks its own outputSchema reaches the agent's code as
// a ToolError (templates/runtime.ts), not as a value whose type lies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureServer } from '../helpers/servers.js';
import { failureOf, startExec, valueFrom, type ExecFixture } from './helpers.js';

let fx: ExecFixture;
beforeAll(async () => {
  fx = await startExec([fixtureServer('weather', 'typed.js')]);
});
afterAll(() => fx?.close());

const MESSAGE =
  'weather.forecast failed: server "weather": tool "forecast" returned a result that does not match its outputSchema: structuredContent.temperature must be number (got string)';

describe('a result that breaks its outputSchema', () => {
  it('throws a ToolError the code can catch, naming the server, the tool and the field', async () => {
    const value = valueFrom(
      await fx.run(`
import { forecast } from './servers/weather';
import { ToolError } from './runtime';
try {
  const result = await forecast({ city: 'Oslo', broken: true });
  return { reached: result.temperature };
} catch (e) {
  return { message: (e as Error).message, name: (e as Error).name, isToolError: e instanceof ToolError, server: (e as ToolError).server, tool: (e as ToolError).tool };
}
`),
    );
    expect(value).toEqual({ message: MESSAGE, name: 'ToolError', isToolError: true, server: 'weather', tool: 'forecast' });
  });

  it('returns its message from a plain catch', async () => {
    const code = `
import { forecast } from './servers/weather';
async function bad() { return forecast({ city: 'Oslo', broken: true }); }
try { await bad(); return 'not reached'; } catch (e) { return e.message; }
`;
    expect(valueFrom(await fx.run(code))).toBe(MESSAGE);
  });

  it('uncaught, fails the run with the ToolError', async () => {
    expect(failureOf(await fx.run("import { forecast } from './servers/weather';\nreturn await forecast({ city: 'Oslo', broken: true });"))).toContain(
      `ToolError: ${MESSAGE}`,
    );
  });

  it('a result that matches is the typed value', async () => {
    const code = "import { forecast } from './servers/weather';\nconst r = await forecast({ city: 'Oslo' });\nreturn r.temperature + 1;";
    expect(valueFrom(await fx.run(code))).toBe(22);
  });
});
