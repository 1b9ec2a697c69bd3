/**
 * Parsing `git diff -U0` output into changed line ranges per file (new-side lines, which is what the
 * indexed working tree holds) plus the removed lines' text (to name functions that were deleted).
 */

export interface FileDiff {
  /** Path after the change (relative to the git top level); null when the file was deleted. */
  path: string | null;
  oldPath: string | null;
  /** New-side changed lines. A pure deletion marks the line after which lines were removed. */
  lines: Set<number>;
  /** Text of removed lines with their old line numbers. */
  removed: Array<{ line: number; text: string }>;
  added: number;
  deleted: number;
  status: 'added' | 'deleted' | 'modified' | 'renamed';
}

function unquote(p: string): string {
  // core.quotepath=off leaves UTF-8 alone, but git still C-quotes paths with tabs, quotes or newlines.
  if (p.startsWith('"') && p.endsWith('"')) {
    try {
      return JSON.parse(p) as string;
    } catch {
      return p.slice(1, -1);
    }
  }
  return p;
}

export function parseUnifiedDiff(out: string): FileDiff[] {
  const files: FileDiff[] = [];
  let cur: FileDiff | null = null;
  let oldLine = 0;
  let newLine = 0;
  for (const raw of out.split('\n')) {
    if (raw.startsWith('diff --git ')) {
      cur = { path: null, oldPath: null, lines: new Set(), removed: [], added: 0, deleted: 0, status: 'modified' };
      files.push(cur);
      continue;
    }
    if (!cur) continue;
    if (raw.startsWith('--- ')) {
      const p = unquote(raw.slice(4).trim());
      cur.oldPath = p === '/dev/null' ? null : p.replace(/^a\//, '');
      continue;
    }
    if (raw.startsWith('+++ ')) {
      const p = unquote(raw.slice(4).trim());
      cur.path = p === '/dev/null' ? null : p.replace(/^b\//, '');
      cur.status = cur.oldPath === null ? 'added' : cur.path === null ? 'deleted' : cur.oldPath !== cur.path ? 'renamed' : 'modified';
      continue;
    }
    const h = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(raw);
    if (h) {
      oldLine = Number(h[1]);
      newLine = Number(h[3]);
      const newCount = h[4] === undefined ? 1 : Number(h[4]);
      // Pure deletion: "+c,0" means lines were removed after new line c; count that line as touched.
      if (newCount === 0 && cur.path !== null) cur.lines.add(Math.max(1, newLine));
      continue;
    }
    if (raw.startsWith('+') && !raw.startsWith('+++')) {
      cur.lines.add(newLine++);
      cur.added++;
    } else if (raw.startsWith('-') && !raw.startsWith('---')) {
      cur.removed.push({ line: oldLine++, text: raw.slice(1) });
      cur.deleted++;
    }
  }
  return files;
}

/** Compacts sorted line numbers into ranges: [3,4,5,9] → "3-5,9". */
export function ranges(lines: Iterable<number>): string {
  const s = [...lines].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < s.length; ) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j]! + 1) j++;
    out.push(i === j ? `${s[i]}` : `${s[i]}-${s[j]}`);
    i = j + 1;
  }
  return out.join(',');
}

/** Names declared on removed lines (function/class/method/const-arrow), to report deleted symbols. */
export function declaredNames(text: string): string[] {
  const names: string[] = [];
  const patterns = [
    /\bfunction\s*\*?\s*([A-Za-z_$][\w$]*)\s*[<(]/,
    /\b(?:class|interface|enum|type)\s+([A-Za-z_$][\w$]*)/,
    /\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]+)?=\s*(?:async\s+)?(?:function\b|\([^)]*\)\s*(?::[^=]+)?=>|[A-Za-z_$][\w$]*\s*=>)/,
    /^\s*(?:(?:public|private|protected|static|async|readonly|override|abstract|get|set)\s+)*([A-Za-z_$][\w$]*)\s*(?:<[^>]*>)?\s*\([^)]*\)\s*(?::\s*[^{]+)?\{\s*$/,
  ];
  for (const re of patterns) {
    const m = re.exec(text);
    if (m && !['if', 'for', 'while', 'switch', 'catch', 'return', 'function'].includes(m[1]!)) names.push(m[1]!);
  }
  return [...new Set(names)];
}
