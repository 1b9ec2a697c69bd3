/**
 * A deliberately tiny stand-in for the indexer, for the tool tests only: it reads the fixture's .ts files
 * with a few regexes (top-level functions, classes and their methods, imports, call expressions) and writes
 * the same schema tables the real indexer fills, through the real Store (snapshot, publish). The fixtures are
 * written in the narrow style it understands, so the graph is exactly known and the tools' answers can be
 * asserted exactly. Once packages/indexer lands, test/tools/indexer.test.ts runs the tools over its graph.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { Store } from '../../packages/store/db.js';
import { ensureProject, type ProjectRow, projectByRoot } from '../../packages/store/projects.js';
import { identifierWords, SEARCH_ROWS_FOR_NEW_NODES } from '../../packages/store/schema.js';
import { createSnapshot, publishSnapshot } from '../../packages/store/snapshots.js';

interface Sym {
  id?: number;
  kind: string;
  name: string;
  qname: string;
  file: string;
  start: number;
  end: number;
  signature: string | null;
  exported: boolean;
  doc: string | null;
  parent?: Sym;
}

function walk(root: string, dir = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === '.git') continue;
    const rel = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...walk(root, rel));
    else if (/\.tsx?$/.test(e.name)) out.push(rel);
  }
  return out.sort();
}

function endOf(lines: string[], start: number): number {
  let depth = 0;
  let opened = false;
  for (let i = start - 1; i < lines.length; i++) {
    for (const ch of lines[i]!) {
      if (ch === '{') {
        depth++;
        opened = true;
      } else if (ch === '}') depth--;
    }
    if (opened && depth === 0) return i + 1;
  }
  return lines.length;
}

function docAbove(lines: string[], line: number): string | null {
  const m = /^\s*\/\*\*\s*(.*?)\s*\*\/\s*$/.exec(lines[line - 2] ?? '');
  return m ? m[1]! : null;
}

function signatureOf(text: string): string | null {
  const m = /(\(.*\)(?:\s*:\s*[^{]+)?)\s*\{\s*$/.exec(text);
  return m ? m[1]!.trim() : null;
}

export function seedGraph(store: Store, root: string): ProjectRow {
  const project = ensureProject(store, root);
  const snap = createSnapshot(store, project.id);
  const files = walk(root);
  const texts = new Map(files.map((f) => [f, readFileSync(join(root, f), 'utf8').replace(/\n$/, '').split('\n')]));
  const syms: Sym[] = [];
  for (const [file, lines] of texts) {
    let cls: Sym | null = null;
    lines.forEach((text, i) => {
      const line = i + 1;
      if (cls && line > cls.end) cls = null;
      let m = /^(export\s+)?(?:async\s+)?function\s+([\w$]+)/.exec(text);
      if (m) {
        syms.push({ kind: 'Function', name: m[2]!, qname: `${file}#${m[2]}`, file, start: line, end: endOf(lines, line), signature: signatureOf(text), exported: !!m[1], doc: docAbove(lines, line) });
        return;
      }
      m = /^(export\s+)?class\s+([\w$]+)/.exec(text);
      if (m) {
        cls = { kind: 'Class', name: m[2]!, qname: `${file}#${m[2]}`, file, start: line, end: endOf(lines, line), signature: null, exported: !!m[1], doc: docAbove(lines, line) };
        syms.push(cls);
        return;
      }
      m = /^\s{2}([\w$]+)\s*\(.*\)\s*(?::[^{]+)?\{\s*$/.exec(text);
      if (m && cls) {
        const c: Sym = cls;
        syms.push({ kind: 'Method', name: m[1]!, qname: `${c.qname}.${m[1]}`, file, start: line, end: endOf(lines, line), signature: signatureOf(text), exported: false, doc: docAbove(lines, line), parent: c });
      }
    });
  }

  const db = store.db;
  const insNode = db.prepare(
    `INSERT INTO nodes(snapshot, kind, name, qname, file, parent, start_line, start_col, end_line, end_col, signature, exported, doc, words) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, 0, ?, ?, ?, ?)`,
  );
  const insEdge = db.prepare(`INSERT INTO edges(snapshot, type, src, dst, line, strategy, confidence, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  const insUnres = db.prepare(`INSERT INTO unresolved_calls(snapshot, src, file, line, callee, reason) VALUES (?, ?, ?, ?, ?, ?)`);
  store.write(() => {
    // Full-text rows are the writer's job (no insert trigger): added for every node below at the end.
    const firstNode = db.prepare(`SELECT coalesce(max(id), 0) + 1 FROM nodes`).pluck().get() as number;
    const folderIds = new Map<string, number>();
    const folder = (dir: string): number | null => {
      if (!dir) return null;
      const known = folderIds.get(dir);
      if (known) return known;
      const parent = folder(posix.dirname(dir) === '.' ? '' : posix.dirname(dir));
      const id = Number(insNode.run(snap, 'Folder', posix.basename(dir), dir, dir, parent, null, null, null, 0, null, identifierWords(posix.basename(dir))).lastInsertRowid);
      folderIds.set(dir, id);
      if (parent) insEdge.run(snap, 'CONTAINS', parent, id, null, null, null, null);
      return id;
    };
    const fileIds = new Map<string, number>();
    for (const [file, lines] of texts) {
      const content = readFileSync(join(root, file));
      const st = statSync(join(root, file));
      db.prepare(`INSERT INTO files(snapshot, path, language, size, mtime_ms, hash, lines) VALUES (?, ?, 'typescript', ?, ?, ?, ?)`).run(
        snap,
        file,
        st.size,
        Math.trunc(st.mtimeMs),
        createHash('sha1').update(content).digest('hex'),
        lines.length,
      );
      const dir = posix.dirname(file) === '.' ? '' : posix.dirname(file);
      const parent = folder(dir);
      const id = Number(insNode.run(snap, 'File', posix.basename(file), file, file, parent, 1, lines.length, null, 0, null, identifierWords(posix.basename(file))).lastInsertRowid);
      fileIds.set(file, id);
      if (parent) insEdge.run(snap, 'CONTAINS', parent, id, null, null, null, null);
    }
    for (const s of syms) {
      const parent = s.parent?.id ?? fileIds.get(s.file)!;
      s.id = Number(insNode.run(snap, s.kind, s.name, s.qname, s.file, parent, s.start, s.end, s.signature, s.exported ? 1 : 0, s.doc, identifierWords(s.name)).lastInsertRowid);
      insEdge.run(snap, s.parent ? 'DEFINES_METHOD' : 'DEFINES', parent, s.id, null, null, null, null);
    }
    // Imports and calls.
    for (const [file, lines] of texts) {
      const imported = new Map<string, Sym>();
      const own = syms.filter((s) => s.file === file);
      for (const text of lines) {
        const m = /^import\s+\{([^}]+)\}\s+from\s+'(\.[^']+)'/.exec(text);
        if (!m) continue;
        const target = posix.normalize(posix.join(posix.dirname(file), m[2]!.replace(/\.js$/, '.ts')));
        const names = m[1]!.split(',').map((x) => x.trim());
        if (fileIds.has(target)) insEdge.run(snap, 'IMPORTS', fileIds.get(file)!, fileIds.get(target)!, null, null, null, JSON.stringify(names));
        for (const n of names) {
          const t = syms.find((s) => s.file === target && s.name === n && !s.parent);
          if (t) imported.set(n, t);
        }
      }
      lines.forEach((text, i) => {
        const line = i + 1;
        if (/^\s*(import|\/\/|\/\*|\*)/.test(text)) return;
        const encl = own.filter((s) => s.kind !== 'Class' && s.start <= line && s.end >= line).sort((a, b) => b.start - a.start)[0];
        if (encl && encl.start === line) return;
        const src = encl?.id ?? fileIds.get(file)!;
        for (const c of text.matchAll(/(new\s+)?((?:[\w$]+\.)*)([\w$]+)\s*\(/g)) {
          const [, isNew, receiver, name] = c as unknown as [string, string | undefined, string, string];
          if (['if', 'for', 'while', 'switch', 'return', 'function', 'catch'].includes(name)) continue;
          const edge = (dst: Sym, strategy: string, confidence: number) => insEdge.run(snap, 'CALLS', src, dst.id!, line, strategy, confidence, null);
          const callee = `${receiver}${name}`;
          if (receiver === 'this.') {
            const cls = encl?.parent;
            const m = cls && syms.find((s) => s.parent === cls && s.name === name);
            if (m) edge(m, 'this-class', 0.95);
            else insUnres.run(snap, src, file, line, callee, 'not-found');
          } else if (!receiver) {
            const local = own.find((s) => s.name === name && !s.parent);
            const imp = imported.get(name);
            if (local) edge(local, 'same-file', 1);
            else if (imp) edge(imp, 'import', 1);
            else insUnres.run(snap, src, file, line, callee, 'not-found');
            void isNew;
          } else if (receiver === 'console.') {
            insUnres.run(snap, src, file, line, callee, 'external');
          } else {
            const methods = syms.filter((s) => s.kind === 'Method' && s.name === name);
            if (methods.length === 1) edge(methods[0]!, 'unique-name', 0.5);
            else insUnres.run(snap, src, file, line, callee, methods.length ? 'ambiguous' : 'not-found');
          }
        }
      });
    }
    db.prepare(SEARCH_ROWS_FOR_NEW_NODES).run(firstNode);
  });
  const prev = publishSnapshot(store, project.id, snap, { indexedAt: Date.now(), gitHead: null, stats: { mode: 'full', durationMs: 5, skipped: [], errors: [] } });
  // The replaced graph is small: dropped here in one transaction, not by the daemon's paced dropSnapshot,
  // which would still be running (and writing) when a test closes the store.
  if (prev !== null) {
    store.write(() => {
      for (const table of ['edges', 'unresolved_calls', 'nodes', 'files']) db.prepare(`DELETE FROM ${table} WHERE snapshot = ?`).run(prev);
      db.prepare(`DELETE FROM snapshots WHERE id = ?`).run(prev);
    });
  }
  return projectByRoot(store, root)!;
}
