import { createTwoFilesPatch } from 'diff';
import { readSdkFile } from '../emit/files.js';
import type { GenerateReport } from './index.js';

/** One SDK file that the live servers would change, as a unified diff. */
export interface FilePatch {
  path: string;
  patch: string;
}

/**
 * The SDK on disk against the one the live servers give now (a `check` report), file by file as
 * unified diffs (`a/` what was reviewed, `b/` what would be written), sorted by path.
 */
export async function sdkPatches(report: GenerateReport): Promise<FilePatch[]> {
  const wanted = new Map(report.files.map((file) => [file.path, file.text]));
  const paths = [...report.diff.added, ...report.diff.changed, ...report.diff.removed].sort();
  const patches: FilePatch[] = [];
  for (const path of paths) {
    const before = (await readSdkFile(report.outDir, path)) ?? '';
    const after = wanted.get(path) ?? '';
    patches.push({ path, patch: createTwoFilesPatch(`a/${path}`, `b/${path}`, before, after, undefined, undefined, { context: 3 }) });
  }
  return patches;
}
