// exec/'s reading of the bundle's source map (node:module's SourceMap): which original position a
// stack frame's generated line and column stand for, and which frames stand for none.
import { describe, expect, it } from 'vitest';
import { BundleSourceMap } from '../../src/exec/sourcemap.js';

// Generated line 1: mappings at columns 0 and 4 (to /code.ts 1:1 and 1:5); line 2: none; line 3:
// one mapping at column 4 (to /code.ts 2:3); line 4: one at column 2, to /workspace/skills/x.ts 6:5.
const map = new BundleSourceMap({
  version: 3,
  sources: ['/code.ts', '/workspace/skills/x.ts'],
  names: [],
  mappings: 'AAAA,IAAI;;IACF;ECIE',
});

describe('BundleSourceMap', () => {
  it('takes the last mapping at or before the column on that line', () => {
    expect(map.originalPosition(1, 1)).toEqual({ source: '/code.ts', line: 1, column: 1 });
    expect(map.originalPosition(1, 4)).toEqual({ source: '/code.ts', line: 1, column: 1 });
    expect(map.originalPosition(1, 5)).toEqual({ source: '/code.ts', line: 1, column: 5 });
    expect(map.originalPosition(1, 80)).toEqual({ source: '/code.ts', line: 1, column: 5 });
    expect(map.originalPosition(4, 9)).toEqual({ source: '/workspace/skills/x.ts', line: 6, column: 5 });
  });

  it("takes the line's first mapping for a column in its indentation, or no column", () => {
    expect(map.originalPosition(3, 1)).toEqual({ source: '/code.ts', line: 2, column: 3 });
    expect(map.originalPosition(3, 0)).toEqual({ source: '/code.ts', line: 2, column: 3 });
    expect(map.originalPosition(3)).toEqual({ source: '/code.ts', line: 2, column: 3 });
  });

  it('maps nothing on a line without mappings, or past the last line', () => {
    // node:module's findOrigin would answer /code.ts line 2 here, from line 1's last mapping.
    expect(map.originalPosition(2, 1)).toBeUndefined();
    expect(map.originalPosition(2, 30)).toBeUndefined();
    expect(map.originalPosition(9, 1)).toBeUndefined();
  });
});
