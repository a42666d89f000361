import { SourceMap } from 'node:module';
import type { RawSourceMap } from '../bundle/index.js';

export interface OriginalPosition {
  source: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

type Entry = { originalSource: string; originalLine: number; originalColumn: number; generatedColumn: number };

/**
 * Maps positions in a bundle back to its sources, through node:module's `SourceMap`. What it adds
 * is the rule for positions no mapping covers: `findEntry` would answer with a mapping of an
 * earlier line, and `findOrigin` would shift that answer by the lines in between, so a frame in
 * runbyte's own lines of the bundle would be reported in the agent's code.
 */
export class BundleSourceMap {
  private readonly map: SourceMap;

  constructor(map: RawSourceMap) {
    // SourceMap reads the version, sources, names and mappings; the rest is required by its type only.
    this.map = new SourceMap({ ...map, file: map.file ?? '', sourceRoot: map.sourceRoot ?? '', sourcesContent: [] });
  }

  /**
   * The original position of a 1-based generated line and column: the last mapping at or before it
   * on that line; for a column before the line's first mapping (its indentation, or no column
   * given: 0), that first mapping. Undefined for a line without mappings.
   */
  originalPosition(line: number, column = 0): OriginalPosition | undefined {
    let entry = this.entryAt(line - 1, Math.max(0, column - 1));
    if (!entry) {
      const last = this.entryAt(line - 1, Number.MAX_SAFE_INTEGER);
      if (!last) return undefined;
      // The line's first mapping is at the smallest column that finds one on this line.
      let low = 0;
      let high = last.generatedColumn;
      while (low < high) {
        const middle = (low + high) >>> 1;
        if (this.entryAt(line - 1, middle)) high = middle;
        else low = middle + 1;
      }
      entry = this.entryAt(line - 1, low)!;
    }
    return { source: entry.originalSource, line: entry.originalLine + 1, column: entry.originalColumn + 1 };
  }

  /** The mapping at or before a 0-based position, if it is on that line. */
  private entryAt(line: number, column: number): Entry | undefined {
    const entry = this.map.findEntry(line, column);
    return 'originalSource' in entry && entry.generatedLine === line ? entry : undefined;
  }
}
