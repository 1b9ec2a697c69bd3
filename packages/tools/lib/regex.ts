/**
 * User-supplied regular expressions, bounded so none can hang the daemon (there is no RE2 here, and V8's
 * backtracking engine can take exponential time):
 *  1. the pattern is capped in length and rejected when it nests unbounded quantifiers (`(a+)+`,
 *     `(\w*\s?)*`), the shape behind almost every catastrophic backtrack — a cheap static check;
 *  2. each scanned line is capped in length;
 *  3. matching runs inside a `vm` script with a timeout: V8 interrupts even a regex mid-backtrack, so the
 *     scan stops at its time budget and the answer says it is partial.
 * Invalid patterns are reported with the column where they fail.
 */
import vm from 'node:vm';
import { CodehiveError } from '../../protocol/index.js';

export const MAX_PATTERN = 500;
/** Characters of a line a regex sees; longer lines (minified code) are tested on their head only. */
export const MAX_LINE = 2000;

/** Smart case (as ripgrep): case-insensitive unless the pattern has an upper-case letter outside an escape. */
export function smartCaseInsensitive(pattern: string): boolean {
  return !/[A-Z]/.test(pattern.replace(/\\./g, ''));
}

export function compileUserRegex(pattern: string, what = 'pattern', flags = ''): RegExp {
  if (pattern.length > MAX_PATTERN) {
    throw new CodehiveError('BAD_REQUEST', `${what} is ${pattern.length} characters; the limit is ${MAX_PATTERN}`);
  }
  let re: RegExp;
  try {
    re = new RegExp(pattern, flags);
  } catch (err) {
    const col = locateError(pattern);
    const where = col === null ? '' : `\n  ${pattern}\n  ${' '.repeat(col)}^ here (column ${col + 1})`;
    throw new CodehiveError('BAD_REQUEST', `${what} is not a valid regular expression: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}${where}`, {
      column: col === null ? null : col + 1,
    });
  }
  const nested = nestedQuantifier(pattern);
  if (nested !== null) {
    throw new CodehiveError(
      'BAD_REQUEST',
      `${what} repeats a group that itself repeats (column ${nested + 1}: ${pattern.slice(nested, nested + 20)}), which can backtrack for ever; ` +
        `rewrite it without nested quantifiers, e.g. (ab)+ or \\w+ instead of (\\w+)+`,
      { column: nested + 1 },
    );
  }
  return re;
}

interface Group {
  start: number;
  unbounded: boolean;
}

/** Index of the opening '(' of a group that contains an unbounded quantifier and is itself repeated unboundedly. */
export function nestedQuantifier(p: string): number | null {
  const stack: Group[] = [];
  let inClass = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') stack.push({ start: i, unbounded: false });
    else if (c === ')') {
      const g = stack.pop();
      if (!g) continue;
      const q = unboundedQuantifierAt(p, i + 1);
      if (q && g.unbounded) return g.start;
      // The closed group counts as repeating inside its parent if it repeats itself or contains a repeat.
      const parent = stack[stack.length - 1];
      if (parent && (g.unbounded || q)) parent.unbounded = true;
    } else if (unboundedQuantifierAt(p, i) && stack.length) {
      stack[stack.length - 1]!.unbounded = true;
    }
  }
  return null;
}

function unboundedQuantifierAt(p: string, i: number): boolean {
  const c = p[i];
  if (c === '+' || c === '*') return true;
  if (c === '{') return /^\{\d*,\}/.test(p.slice(i)) || /^\{\d*,\d{3,}\}/.test(p.slice(i));
  return false;
}

/** Best-effort column of a syntax error: an unbalanced bracket, or a quantifier with nothing to repeat. */
export function locateError(p: string): number | null {
  const opens: number[] = [];
  let classStart = -1;
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '\\') {
      if (i === p.length - 1) return i;
      i++;
      continue;
    }
    if (classStart >= 0) {
      if (c === ']') classStart = -1;
      continue;
    }
    if (c === '[') classStart = i;
    else if (c === '(') opens.push(i);
    else if (c === ')') {
      if (!opens.length) return i;
      opens.pop();
    } else if ('*+?'.includes(c) || (c === '{' && /^\{\d+(,\d*)?\}/.test(p.slice(i)))) {
      const prev = i === 0 ? '' : p[i - 1]!;
      if (i === 0 || prev === '(' || prev === '|') return i;
      if ((c === '*' || c === '+' || c === '{') && '*+'.includes(prev) && p[i - 2] !== '\\') return i;
    }
  }
  if (classStart >= 0) return classStart;
  if (opens.length) return opens[opens.length - 1]!;
  return null;
}

/** Scans lines with a regex under a wall-clock budget. */
export class BoundedScanner {
  private readonly ctx: vm.Context;
  private static readonly script = new vm.Script(
    `(() => { const out = []; for (let i = 0; i < lines.length; i++) { let l = lines[i]; if (l.length > max) l = l.slice(0, max); re.lastIndex = 0; if (re.test(l)) out.push(i); } return out; })()`,
  );
  private readonly deadline: number;

  constructor(re: RegExp, budgetMs: number) {
    this.ctx = vm.createContext({ re, lines: [] as string[], max: MAX_LINE });
    this.deadline = performance.now() + budgetMs;
  }

  get expired(): boolean {
    return performance.now() >= this.deadline;
  }

  /** Indexes of matching lines, or null when the budget ran out inside this call. */
  scan(lines: string[]): number[] | null {
    const left = Math.floor(this.deadline - performance.now());
    if (left <= 0) return null;
    this.ctx.lines = lines;
    try {
      return BoundedScanner.script.runInContext(this.ctx, { timeout: Math.max(1, left) }) as number[];
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return null;
      throw err;
    } finally {
      this.ctx.lines = [];
    }
  }
}
