// Entity ids: a type prefix and a time-sortable, random body (`tsk_01jf3k7q9c4m8x2v5n6b7t8r9w`).
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

export type IdPrefix = 'prj' | 'repo' | 'tsk' | 'ws' | 'wt' | 'ses' | 'exe' | 'apr' | 'sub' | 'ent' | 'con' | 'tok' | 'trm' | 'wch';

let lastTime = 0;
let lastRandom: number[] = [];

/** A new id: `<prefix>_` + 10 chars of milliseconds + 16 random chars, monotonic within one process. */
export function newId(prefix: IdPrefix): string {
  let now = Date.now();
  let random: number[];
  if (now <= lastTime) {
    now = lastTime;
    random = incremented(lastRandom);
  } else {
    const bytes = randomBytes(16);
    random = Array.from(bytes, (b) => b & 31);
  }
  lastTime = now;
  lastRandom = random;
  let time = '';
  for (let i = 0, t = now; i < 10; i++, t = Math.floor(t / 32)) time = ALPHABET[t % 32] + time;
  return `${prefix}_${time}${random.map((n) => ALPHABET[n]).join('')}`;
}

function incremented(digits: number[]): number[] {
  const next = digits.slice();
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i]! < 31) {
      next[i]! += 1;
      return next;
    }
    next[i] = 0;
  }
  return next;
}

/** The short form used in branch and directory names: the last 8 characters of the id. */
export function shortId(id: string): string {
  return id.slice(-8);
}
