/** A source map v3 as Rspack writes it. */
export interface RawSourceMap {
  version: number;
  sources: string[];
  names?: string[];
  mappings: string;
  sourcesContent?: (string | null)[];
}

export interface OriginalPosition {
  source: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DIGIT = new Map([...BASE64].map((char, index) => [char, index]));

type Segment = [generatedColumn: number, source: number, line: number, column: number];

/**
 * Maps positions in a bundle back to its sources. Decodes the VLQ mappings once; lookups are a
 * scan of one generated line. Enough for error lines; not a general-purpose library.
 */
export class SourceMap {
  private readonly lines: Segment[][] = [];

  constructor(private readonly map: RawSourceMap) {
    let source = 0;
    let line = 0;
    let column = 0;
    for (const text of map.mappings.split(';')) {
      const segments: Segment[] = [];
      let generated = 0;
      for (const part of text.split(',')) {
        if (!part) continue;
        const fields = decodeVlq(part);
        generated += fields[0] ?? 0;
        if (fields.length >= 4) {
          source += fields[1]!;
          line += fields[2]!;
          column += fields[3]!;
          segments.push([generated, source, line, column]);
        }
      }
      this.lines.push(segments);
    }
  }

  /** The original position of a 1-based generated line and column (column 0 or unknown: the line's first mapping). */
  originalPosition(line: number, column = 0): OriginalPosition | undefined {
    const segments = this.lines[line - 1];
    if (!segments || segments.length === 0) return undefined;
    let best = segments[0]!;
    for (const segment of segments) {
      if (segment[0] <= Math.max(0, column - 1)) best = segment;
      else break;
    }
    return { source: this.map.sources[best[1]] ?? '', line: best[2] + 1, column: best[3] + 1 };
  }
}

function decodeVlq(text: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of text) {
    const digit = DIGIT.get(char);
    if (digit === undefined) return values;
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    values.push(value & 1 ? -(value >>> 1) : value >>> 1);
    value = 0;
    shift = 0;
  }
  return values;
}
