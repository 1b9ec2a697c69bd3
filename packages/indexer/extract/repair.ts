/**
 * Same-length source repairs for TypeScript syntax tree-sitter-typescript 0.23 does not parse. Without them one unsupported construct can turn a whole file into an ERROR node and lose every
 * declaration in it (effect's `Function.ts`, which declares `dual`, `pipe`, `constant`).
 *
 * Every repair replaces characters one for one (offsets, lines and columns stay exact) and never touches
 * comments, strings or regexes:
 * - variance and `const` modifiers of type parameters (`<in out A>`, `<const T extends …>`) → blanks;
 * - a generic call signature starting a line after a type member without a separator (`): B⏎  <C>(c: C): C`,
 *   which tree-sitter reads as `B<C>…` type arguments; TypeScript reads no type arguments across a line
 *   break) → a `;` in the indentation before the `<`;
 * - mapped-type modifiers `]+?:` / `]-?:` → `] ?:` (the sign blanked).
 */
/**
 * Comment, string and template-text ranges by a lexical scan (fast; tree-sitter node objects are slow in 0.21).
 * Regex literals are not recognised: a quote inside one opens a "string" only up to the end of its line.
 */
function literalRanges(src: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const braces: number[] = []; // open `{` count per enclosing `${`
  const n = src.length;
  let i = 0;
  const template = (from: number): number => {
    // Inside template text at `from`; returns where code resumes (after `${` or the closing backtick).
    let j = from;
    while (j < n) {
      const c = src.charCodeAt(j);
      if (c === 92) j += 2; // backslash
      else if (c === 96) {
        out.push([from, j + 1]);
        return j + 1;
      } else if (c === 36 && src.charCodeAt(j + 1) === 123) {
        out.push([from, j]);
        braces.push(0);
        return j + 2;
      } else j++;
    }
    out.push([from, n]);
    return n;
  };
  while (i < n) {
    const c = src.charCodeAt(i);
    if (c === 47 && src.charCodeAt(i + 1) === 47) {
      const e = src.indexOf('\n', i);
      const end = e === -1 ? n : e;
      out.push([i, end]);
      i = end;
    } else if (c === 47 && src.charCodeAt(i + 1) === 42) {
      const e = src.indexOf('*/', i + 2);
      const end = e === -1 ? n : e + 2;
      out.push([i, end]);
      i = end;
    } else if (c === 39 || c === 34) {
      let j = i + 1;
      while (j < n) {
        const d = src.charCodeAt(j);
        if (d === 92) j += 2;
        else if (d === c || d === 10) break;
        else j++;
      }
      out.push([i, Math.min(j + 1, n)]);
      i = j + 1;
    } else if (c === 96) {
      i = template(i);
    } else if (braces.length && c === 123) {
      braces[braces.length - 1]!++;
      i++;
    } else if (braces.length && c === 125) {
      if (braces[braces.length - 1] === 0) {
        braces.pop();
        i = template(i);
      } else {
        braces[braces.length - 1]!--;
        i++;
      }
    } else i++;
  }
  return out;
}

/** The range of the sorted, non-overlapping `ranges` holding `i`, if any. */
function rangeAt(ranges: Array<[number, number]>, i: number): [number, number] | undefined {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = ranges[mid]!;
    if (i < r[0]) hi = mid - 1;
    else if (i >= r[1]) lo = mid + 1;
    else return r;
  }
  return undefined;
}

function inside(ranges: Array<[number, number]>, i: number): boolean {
  return rangeAt(ranges, i) !== undefined;
}

const TYPE_PARAM = String.raw`[A-Za-z_$][\w$]*\s*(?:[,>=]|extends\b)`;
const MODIFIER = new RegExp(String.raw`([<,]\s*)((?:in\s+)?out\s+|in\s+|const\s+)(?=${TYPE_PARAM})`, 'g');
const LINE_GENERIC = new RegExp(String.raw`\n[ \t]*([ \t])<(?=\s*(?:(?:in|out|const)\s+)*${TYPE_PARAM})`, 'g');
const MAPPED_SIGN = /\][+-]\?:/g;

const MAYBE_MODIFIER = /[<,]\s*(?:in|out|const)\s|\][+-]\?:/;

/**
 * Modifiers the grammar lacks, blanked before the first parse: `<in out A>`, `<const T …>` and `]+?:` are
 * never valid JavaScript expressions outside literals, so this cannot change what valid code means.
 */
export function repairModifiers(src: string): string {
  if (!MAYBE_MODIFIER.test(src)) return src;
  const literals = literalRanges(src);
  const edits: Edit[] = [];
  for (const m of src.matchAll(MODIFIER)) {
    const at = m.index! + m[1]!.length;
    if (!inside(literals, at)) edits.push([at, ' '.repeat(m[2]!.length)]);
  }
  for (const m of src.matchAll(MAPPED_SIGN)) {
    if (!inside(literals, m.index!)) edits.push([m.index! + 1, ' ']);
  }
  return edits.length ? applyEdits(src, edits) : src;
}

/** A same-length replacement: `text` over the code units at `at`. */
type Edit = [at: number, text: string];

function applyEdits(src: string, edits: Edit[]): string {
  edits.sort((a, b) => a[0] - b[0]);
  let out = '';
  let pos = 0;
  for (const [at, text] of edits) {
    if (at < pos) continue;
    out += src.slice(pos, at) + text;
    pos = at + text.length;
  }
  return out + src.slice(pos);
}

/**
 * A `;` before a generic call signature that starts a line right after another type member. Null when
 * nothing applies. A guess (`f(a⏎ <b, c> d)` is valid JavaScript), so the caller keeps the result only
 * when it parses with fewer errors than the source without it.
 */
export function repairLineGenerics(src: string): string | null {
  if (!src.includes('<')) return null;
  let literals: Array<[number, number]> | null = null;
  const edits: Edit[] = [];
  for (const m of src.matchAll(LINE_GENERIC)) {
    const lt = m.index! + m[0].length - 1;
    literals ??= literalRanges(src);
    if (inside(literals, lt)) continue;
    // The previous significant character must end a type member (a name, `)`, `]`, `>`, `}`), not open one.
    let j = m.index!;
    for (;;) {
      while (j > 0 && /\s/.test(src[j - 1]!)) j--;
      const lit = j > 0 ? rangeAt(literals, j - 1) : undefined;
      if (!lit || src[lit[0]] !== '/') break; // skip comments only
      j = lit[0];
    }
    if (j === 0 || !/[\w$)\]>}]/.test(src[j - 1]!)) continue;
    edits.push([lt - 1, ';']);
  }
  return edits.length ? applyEdits(src, edits) : null;
}
