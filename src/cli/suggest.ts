// "Did you mean …?" for mistyped commands and options: the closest known word by edit distance, when it is close.

/**
 * Edit distance with adjacent transpositions counted as one edit (optimal string alignment), so `agnet` is one edit
 * from `agent`, as it is one slip of the fingers.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The known word `input` most likely meant, or undefined when none is close: a word it is an unambiguous prefix of
 * (`--perm` → `--permission-mode`), else the nearest word within a third of its length (at least one edit, at most
 * three), ties going to the word listed first.
 */
export function suggest(input: string, known: readonly string[]): string | undefined {
  if (!input) return undefined;
  const lower = input.toLowerCase();
  const exact = known.find((word) => word.toLowerCase() === lower);
  if (exact !== undefined) return exact;
  const core = lower.replace(/^-+/, '');
  if (core.length >= 2) {
    const extended = known.filter((word) => word.toLowerCase().startsWith(lower));
    if (extended.length === 1) return extended[0];
  }
  const allowed = Math.min(3, Math.max(1, Math.floor(core.length / 3)));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const word of known) {
    const distance = editDistance(lower, word.toLowerCase());
    if (distance < bestDistance) {
      best = word;
      bestDistance = distance;
    }
  }
  return bestDistance <= allowed ? best : undefined;
}

/** `; did you mean X?` when something is close, else the empty string. */
export function didYouMean(input: string, known: readonly string[]): string {
  const word = suggest(input, known);
  return word === undefined ? '' : `; did you mean ${word}?`;
}
