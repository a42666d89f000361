// The plain-text table `npm run bench` prints (aligned, paste-ready for the README).

const COLUMNS = [
  { key: 'label', title: 'measure', align: 'left' },
  { key: 'median', title: 'median', align: 'right' },
  { key: 'min', title: 'min', align: 'right' },
  { key: 'max', title: 'max', align: 'right' },
  { key: 'unit', title: 'unit', align: 'left' },
  { key: 'runs', title: 'runs', align: 'right' },
  { key: 'goal', title: 'goal', align: 'left' },
  { key: 'result', title: 'result', align: 'left' },
];

/** A number as the table shows it: thousands separators, `digits` decimals. */
export function fmt(value, digits = 1) {
  if (value === undefined || value === null || value === '') return '';
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) return String(value);
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/**
 * A row: `{ label, median, min, max, unit, runs, goal, pass, digits }`, or `{ section }` for a
 * section heading, or `{ note }` for an indented line of text.
 */
export function renderTable(rows) {
  const cells = rows.map((row) => {
    if (row.section !== undefined || row.note !== undefined) return row;
    const digits = row.digits ?? 1;
    return {
      label: `  ${row.label}`,
      median: fmt(row.median, digits),
      min: fmt(row.min, digits),
      max: fmt(row.max, digits),
      unit: row.unit ?? '',
      runs: row.runs === undefined ? '' : String(row.runs),
      goal: row.goal ?? '',
      result: row.pass === undefined ? '' : row.pass ? 'pass' : 'FAIL',
    };
  });
  const widths = COLUMNS.map((column) =>
    Math.max(column.title.length, ...cells.filter((cell) => cell.section === undefined && cell.note === undefined).map((cell) => cell[column.key].length)),
  );
  const line = (cell) =>
    COLUMNS.map((column, i) => (column.align === 'left' ? cell[column.key].padEnd(widths[i]) : cell[column.key].padStart(widths[i])))
      .join('  ')
      .trimEnd();
  const header = line(Object.fromEntries(COLUMNS.map((column) => [column.key, column.title])));
  const rule = '-'.repeat(header.length);
  const out = [header, rule];
  for (const cell of cells) {
    if (cell.section !== undefined) out.push(cell.section);
    else if (cell.note !== undefined) out.push(`    ${cell.note}`);
    else out.push(line(cell));
  }
  return out.join('\n');
}
