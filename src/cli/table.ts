// Text tables for `orchd ls`: columns sized to their content, fitted to the terminal's width by narrowing the
// flexible columns and then leaving out the least needed ones; cells that do not fit end with `…`.

export interface Column<Row> {
  header: string;
  cell: (row: Row) => string;
  align?: 'left' | 'right';
  /** Narrowed (down to this width) before any column is left out. */
  flexMin?: number;
  /** Left out when the table does not fit, lowest first; columns without it always stay. */
  dropPriority?: number;
}

const GAP = '  ';

/** The table as lines (header first), each at most `width` characters when it can be done. */
export function formatTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[], width = Number.POSITIVE_INFINITY): string[] {
  const cells = rows.map((row) => columns.map((column) => oneLine(column.cell(row))));
  let kept = columns.map((_, index) => index);
  for (;;) {
    const widths = fit(kept, columns, cells, width);
    if (widths) return render(kept, columns, cells, widths);
    const droppable = kept.filter((index) => columns[index]!.dropPriority !== undefined);
    if (!droppable.length) return render(kept, columns, cells, naturalWidths(kept, columns, cells).map((w, i) => shrinkToMin(w, columns[kept[i]!]!)));
    const drop = droppable.reduce((a, b) => (columns[b]!.dropPriority! < columns[a]!.dropPriority! ? b : a));
    kept = kept.filter((index) => index !== drop);
  }
}

function naturalWidths<Row>(kept: readonly number[], columns: readonly Column<Row>[], cells: readonly string[][]): number[] {
  return kept.map((index) => Math.max(columns[index]!.header.length, ...cells.map((row) => row[index]!.length)));
}

function shrinkToMin<Row>(natural: number, column: Column<Row>): number {
  return column.flexMin === undefined ? natural : Math.min(natural, Math.max(column.flexMin, column.header.length));
}

/** Widths for the kept columns within `width`, narrowing the widest flexible column first; null when they cannot fit. */
function fit<Row>(kept: readonly number[], columns: readonly Column<Row>[], cells: readonly string[][], width: number): number[] | null {
  const widths = naturalWidths(kept, columns, cells);
  const total = () => widths.reduce((sum, w) => sum + w, 0) + GAP.length * (widths.length - 1);
  while (total() > width) {
    let widest = -1;
    for (let i = 0; i < kept.length; i++) {
      const column = columns[kept[i]!]!;
      if (column.flexMin === undefined || widths[i]! <= Math.max(column.flexMin, column.header.length)) continue;
      if (widest === -1 || widths[i]! > widths[widest]!) widest = i;
    }
    if (widest === -1) return null;
    widths[widest]!--;
  }
  return widths;
}

function render<Row>(kept: readonly number[], columns: readonly Column<Row>[], cells: readonly string[][], widths: readonly number[]): string[] {
  const line = (texts: readonly string[]) =>
    kept
      .map((index, i) => {
        const text = cut(texts[i]!, widths[i]!);
        return columns[index]!.align === 'right' ? text.padStart(widths[i]!) : text.padEnd(widths[i]!);
      })
      .join(GAP)
      .trimEnd();
  return [line(kept.map((index) => columns[index]!.header)), ...cells.map((row) => line(kept.map((index) => row[index]!)))];
}

function cut(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** How long ago, in one short word: `12s`, `5m`, `3h`, `4d`; `-` when unknown. */
export function ago(iso: string | null | undefined, now: number): string {
  if (!iso) return '-';
  const seconds = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (!Number.isFinite(seconds)) return '-';
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

/** A token count in at most five characters: `980`, `12.3k`, `4.5M`; `-` when unknown. */
export function compactCount(n: number | null | undefined): string {
  if (n === null || n === undefined) return '-';
  if (n < 1000) return String(n);
  if (n < 10_000) return `${(n / 1000).toFixed(1)}k`;
  if (n < 1_000_000) return `${Math.round(n / 1000)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

/** `$0.03`, `$12.40`; `-` when unknown. */
export function dollars(usd: number | null | undefined): string {
  if (usd === null || usd === undefined) return '-';
  return usd > 0 && usd < 0.01 ? '<$0.01' : `$${usd.toFixed(2)}`;
}

/** The width to fit a table to: the terminal's, else $COLUMNS, else no limit (a pipe or a file gets whole cells). */
export function outputWidth(stream: { isTTY?: boolean; columns?: number }, env: Record<string, string | undefined>): number {
  if (stream.isTTY && stream.columns) return stream.columns;
  const columns = Number(env.COLUMNS);
  return Number.isInteger(columns) && columns > 0 ? columns : Number.POSITIVE_INFINITY;
}
