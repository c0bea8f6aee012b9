// Fuzzy path matching for fs/findFiles, after fzf's v2 algorithm (and VS Code's quick open preferences): the query's
// characters must appear in order in the path; among the alignments the best scoring one wins, where a match scores
// more at the start of a word (after `/`, `_`, `-`, `.`, a space, or a camelCase hump), in a run of consecutive
// characters and inside the file's base name, and a gap between matches costs. Shorter paths win ties.
// Smart case: a query with an uppercase letter matches case-sensitively, any other query ignores case.
// Indexes are UTF-16 code units (JS string indexes), which is what `positions` reports.

const SCORE_MATCH = 16;
const GAP_START = -3;
const GAP_EXTENSION = -1;
/** A match right after a path separator (or at the very start of the path). */
const BONUS_AFTER_SLASH = 9;
/** A match at the start of a word (after `_`, `-`, `.`, a space...), or on such a delimiter itself. */
const BONUS_BOUNDARY = 8;
/** A lower-to-upper camelCase hump, or the first digit after a non-digit. */
const BONUS_CAMEL = 7;
/** The least a character in a run of consecutive matches gets (a run also keeps its first character's bonus). */
const BONUS_CONSECUTIVE = -(GAP_START + GAP_EXTENSION);
/** The query's first character counts its position bonus this many times (where a match starts matters most). */
const FIRST_CHAR_MULTIPLIER = 2;
/** Added for every matched character inside the base name: `src/main.ts` beats `main/src/index.ts` for `main`. */
const BONUS_BASENAME = 2;

export interface PreparedQuery {
  /** The query without whitespace, as given. */
  readonly text: string;
  /** Code units to compare: lowered unless the query is case-sensitive. */
  readonly units: Uint16Array;
  readonly caseSensitive: boolean;
}

export interface FuzzyMatch {
  /** Higher is better; the fraction below 1 only orders ties by path length. */
  readonly score: number;
  /** Indexes of the matched code units in the path, ascending. */
  readonly positions: number[];
}

/** Lower one UTF-16 code unit, keeping indexes aligned (a character whose lower case is longer stays as it is). */
export function lowerUnit(code: number): number {
  if (code < 0x80) return code >= 65 && code <= 90 ? code + 32 : code;
  const lowered = String.fromCharCode(code).toLowerCase();
  return lowered.length === 1 ? lowered.charCodeAt(0) : code;
}

/** A path lowered unit by unit (same length as the path); the path itself when it has nothing to lower. */
export function lowerPath(path: string): string {
  if (!/[A-Z\u0080-\uffff]/.test(path)) return path;
  let out = '';
  for (let i = 0; i < path.length; i++) out += String.fromCharCode(lowerUnit(path.charCodeAt(i)));
  return out;
}

/** Prepare a query once for many paths: whitespace removed, smart case decided. */
export function prepareQuery(query: string): PreparedQuery {
  const text = query.replace(/\s+/g, '').replace(/\\/g, '/');
  const caseSensitive = text !== text.toLowerCase();
  const units = new Uint16Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    units[i] = caseSensitive ? code : lowerUnit(code);
  }
  return { text, units, caseSensitive };
}

// Character classes, as small numbers for the hot loop.
const LOWER = 0;
const UPPER = 1;
const DIGIT = 2;
/** Letters outside ASCII: word characters without case humps. */
const LETTER = 3;
const SLASH = 4;
/** Anything else: `_`, `-`, `.`, spaces, punctuation. */
const DELIMITER = 5;

function classOf(code: number): number {
  if (code >= 97 && code <= 122) return LOWER;
  if (code >= 65 && code <= 90) return UPPER;
  if (code >= 48 && code <= 57) return DIGIT;
  if (code === 47) return SLASH;
  if (code >= 0x80) return LETTER;
  return DELIMITER;
}

/** The bonus for matching at a position, from its class and its predecessor's. */
function bonusAt(previous: number, current: number): number {
  if (current === SLASH || current === DELIMITER) return BONUS_BOUNDARY;
  if (previous === SLASH) return BONUS_AFTER_SLASH;
  if (previous === DELIMITER) return BONUS_BOUNDARY;
  if (previous === LOWER && current === UPPER) return BONUS_CAMEL;
  if (previous !== DIGIT && current === DIGIT) return BONUS_CAMEL;
  return 0;
}

/**
 * Scores paths against one query. Holds the dynamic-programming tables between calls, so scoring many paths
 * allocates only for the matches' positions.
 */
export class FuzzyScorer {
  private capacity = 0;
  private score = new Float64Array(0);
  private runBonus = new Float64Array(0);
  private from = new Int32Array(0);
  private bonus = new Float64Array(0);

  constructor(readonly query: PreparedQuery) {}

  /** The best alignment of the query in `path` (`lowered`: lowerPath(path), when known), or null when it does not match. */
  match(path: string, lowered?: string): FuzzyMatch | null {
    const query = this.query.units;
    const m = query.length;
    const n = path.length;
    if (m === 0) return { score: tiebreak(n), positions: [] };
    if (m > n) return null;
    const subject = this.query.caseSensitive ? path : (lowered ?? lowerPath(path));

    // Quick rejection, and the window the alignment can live in: from the first occurrence of the query's first
    // character to the last occurrence of its last one.
    let i = 0;
    let first = -1;
    for (let j = 0; j < n && i < m; j++) {
      if (subject.charCodeAt(j) === query[i]) {
        if (i === 0) first = j;
        i++;
      }
    }
    if (i < m) return null;
    let last = n - 1;
    while (subject.charCodeAt(last) !== query[m - 1]) last--;
    const width = last - first + 1;

    this.ensure(m * width, width);
    const { score, runBonus, from, bonus } = this;
    const basenameStart = path.lastIndexOf('/') + 1;
    let previous = first === 0 ? SLASH : classOf(path.charCodeAt(first - 1));
    for (let j = 0; j < width; j++) {
      const current = classOf(path.charCodeAt(first + j));
      bonus[j] = bonusAt(previous, current);
      previous = current;
    }

    const NONE = Number.NEGATIVE_INFINITY;
    for (let q = 0; q < m; q++) {
      const row = q * width;
      const above = row - width;
      const unit = query[q];
      // The best cell of the previous row at least two columns back, with the gap penalty up to this column.
      let gapScore = NONE;
      let gapFrom = -1;
      for (let j = 0; j < width; j++) {
        const cell = row + j;
        if (q > 0 && j >= 2) {
          const candidate = score[above + j - 2]! + GAP_START;
          gapScore += GAP_EXTENSION;
          if (candidate >= gapScore) {
            gapScore = candidate;
            gapFrom = j - 2;
          }
        }
        if (subject.charCodeAt(first + j) !== unit || (q > 0 && j === 0)) {
          score[cell] = NONE;
          continue;
        }
        const own = bonus[j]!;
        const inBasename = first + j >= basenameStart ? BONUS_BASENAME : 0;
        if (q === 0) {
          score[cell] = SCORE_MATCH + own * FIRST_CHAR_MULTIPLIER + inBasename;
          runBonus[cell] = own;
          from[cell] = -1;
          continue;
        }
        // Extend a run from the diagonal, or jump a gap from the best earlier cell.
        const diagonal = score[above + j - 1]!;
        let best = NONE;
        if (diagonal !== NONE) {
          let chunkBonus = runBonus[above + j - 1]!;
          if (own >= BONUS_BOUNDARY && own > chunkBonus) chunkBonus = own;
          best = diagonal + SCORE_MATCH + Math.max(own, chunkBonus, BONUS_CONSECUTIVE) + inBasename;
          runBonus[cell] = chunkBonus;
          from[cell] = j - 1;
        }
        if (gapScore !== NONE) {
          const jumped = gapScore + SCORE_MATCH + own + inBasename;
          if (jumped > best) {
            best = jumped;
              runBonus[cell] = own;
            from[cell] = gapFrom;
          }
        }
        score[cell] = best;
      }
    }

    const lastRow = (m - 1) * width;
    let bestScore = NONE;
    let bestColumn = -1;
    for (let j = 0; j < width; j++) {
      if (score[lastRow + j]! > bestScore) {
        bestScore = score[lastRow + j]!;
        bestColumn = j;
      }
    }
    if (bestColumn < 0) return null;
    const positions = new Array<number>(m);
    for (let q = m - 1, j = bestColumn; q >= 0; q--) {
      positions[q] = first + j;
      j = from[q * width + j]!;
    }
    return { score: bestScore + tiebreak(n), positions };
  }

  private ensure(cells: number, width: number): void {
    if (cells > this.capacity) {
      this.capacity = Math.max(cells, this.capacity * 2, 1024);
      this.score = new Float64Array(this.capacity);
      this.runBonus = new Float64Array(this.capacity);
      this.from = new Int32Array(this.capacity);
    }
    if (width > this.bonus.length) this.bonus = new Float64Array(Math.max(width, this.bonus.length * 2, 256));
  }
}

/** Below 1, falling with length: it orders equal alignments shortest path first and never outweighs a real difference. */
function tiebreak(length: number): number {
  return 1 - Math.min(length, 999) / 1000;
}

/** Best first: higher score, then the shorter path, then by path. */
export function compareFound(a: { score: number; path: string }, b: { score: number; path: string }): number {
  return b.score - a.score || a.path.length - b.path.length || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
}
