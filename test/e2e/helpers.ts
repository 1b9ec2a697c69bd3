/**
 * End-to-end helpers: tool calls through the real shim with the MCP SDK client, answers normalised so they
 * can be compared exactly (temp roots, ages, durations and git hashes vary between runs), and the checks
 * every answer must pass (structuredContent strictly matches TOOL_OUTPUTS, the text carries the same data).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { expect } from 'vitest';
import { z } from 'zod';
import { TOOL_OUTPUTS, type ToolName } from '../../packages/tools/definitions.js';
import { REPO, type McpSession } from '../helpers/processes.js';

export interface Answer {
  /** The text, normalised (see `normalize`). */
  text: string;
  raw: string;
  isError: boolean;
  data: Record<string, unknown> | undefined;
}

/** A temp copy of a fixture project (named like the fixture, so the project name is stable). */
export function copyProject(fixture: string, name = fixture.split('/').pop()!, inDir?: string): { root: string; remove(): void } {
  const base = inDir ?? realpathSync(mkdtempSync(join(tmpdir(), 'chv-e2e-')));
  const root = join(base, name);
  mkdirSync(root);
  cpSync(join(REPO, 'test/fixtures', fixture), root, { recursive: true });
  return { root, remove: () => rmSync(base, { recursive: true, force: true }) };
}

/** An empty project dir in a fresh temp dir. */
export function tempProject(name: string): { root: string; remove(): void } {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'chv-e2e-')));
  const root = join(base, name);
  mkdirSync(root);
  return { root, remove: () => rmSync(base, { recursive: true, force: true }) };
}

export function git(root: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'commit.gpgsign=false', ...args], { cwd: root, encoding: 'utf8' });
}

/** Replaces what varies between runs: roots (longest first), ages, durations, commit hashes. */
export function normalize(text: string, roots: Record<string, string>): string {
  let out = text;
  for (const [root, name] of Object.entries(roots).sort((a, b) => b[0].length - a[0].length)) out = out.split(root).join(name);
  return out
    .replace(/indexed \d+[smhd] ago/g, 'indexed <ago>')
    .replace(/\bin \d+ ms\b/g, 'in <n> ms')
    .replace(/(last index (?:full|incremental)) \d+ ms/g, '$1 <n> ms')
    .replace(/\b[0-9a-f]{40}\b/g, '<sha>')
    .replace(/\b[0-9a-f]{12}\b/g, '<sha12>')
    .replace(/\(([0-9a-f]{10})\)/g, '(<sha10>)')
    .replace(/next_cursor: [\w-]+/g, 'next_cursor: <cursor>');
}

export interface CallOptions {
  roots?: Record<string, string>;
  onprogress?: (p: { progress: number; total?: number; message?: string }) => void;
  signal?: AbortSignal;
}

/**
 * Calls a tool through the shim. The SDK client itself validates structuredContent against the tool's
 * outputSchema (after listTools); here it is also parsed strictly against TOOL_OUTPUTS, so a field a
 * handler adds without declaring it fails the test, and compared with the text.
 */
export async function call(s: McpSession, name: string, args: Record<string, unknown> = {}, opts: CallOptions = {}): Promise<Answer> {
  const res = (await s.client.callTool({ name, arguments: args }, CallToolResultSchema, {
    onprogress: opts.onprogress,
    signal: opts.signal,
    timeout: 120_000,
    resetTimeoutOnProgress: true,
  })) as { content: Array<{ type: string; text?: string }>; isError?: boolean; structuredContent?: Record<string, unknown> };
  const raw = res.content.map((c) => c.text ?? '').join('\n');
  const isError = Boolean(res.isError);
  const data = res.structuredContent;
  if (isError) {
    expect(data, 'tool errors carry no structuredContent').toBeUndefined();
  } else {
    expect(data, `${name} answers with structuredContent`).toBeTypeOf('object');
    const shape = TOOL_OUTPUTS[name as ToolName];
    const parsed = z.object(shape).strict().safeParse(data);
    expect(parsed.success ? 'ok' : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), `${name} data matches TOOL_OUTPUTS`).toBe('ok');
    sameSubstance(name, raw, data!);
  }
  return { text: normalize(raw, opts.roots ?? {}), raw, isError, data };
}

/** The text and structuredContent say the same thing: every listed item and paging marker is in both. */
export function sameSubstance(name: string, text: string, data: Record<string, unknown>): void {
  const has = (s: unknown, what: string) => expect(text, `${name}: text has ${what}`).toContain(String(s));
  if (data.next_cursor) has(`next_cursor: ${data.next_cursor}`, 'the cursor');
  if (typeof data.truncated === 'number' && data.truncated > 0 && 'next_cursor' in data) has(`truncated: ${data.total_exact === false ? '≥' : ''}${data.truncated} more`, 'the marker');
  if ('next_cursor' in data && !data.next_cursor) expect(text).not.toContain('next_cursor');
  const f = data.freshness as { pending_changes: number } | undefined;
  if (f) has(`${f.pending_changes} file${f.pending_changes === 1 ? '' : 's'} changed since`, 'the freshness');
  for (const r of (data.results as Array<{ qname: string; file: string; start_line: number }>) ?? []) has(`${r.qname}  ${r.file}:${r.start_line}`, r.qname);
  for (const h of (data.hits as Array<{ file: string; line: number; symbol: string | null }>) ?? []) {
    has(`${h.file}:${h.line}`, 'a hit');
    if (h.symbol) has(`in ${h.symbol}`, 'the enclosing symbol');
  }
  for (const c of (data.candidates as Array<{ qname: string }>) ?? []) has(c.qname, 'a candidate');
  for (const p of (data.projects as Array<{ name: string; root: string }>) ?? []) has(`${p.name}  ${p.root}`, 'a project');
  if (name === 'trace_path' && !data.ambiguous) {
    const walk = (nodes: Array<{ qname: string; call_lines: number[]; children: unknown[] }>) => {
      for (const n of nodes) {
        has(n.qname, 'a hop');
        walk(n.children as typeof nodes);
      }
    };
    for (const dir of ['callers', 'callees']) {
      const d = data[dir] as { hops: number; tree: Parameters<typeof walk>[0] } | undefined;
      if (d) {
        has(`${dir} (depth ${data.depth}): ${d.hops} hop`, `the ${dir} count`);
        walk(d.tree);
      }
    }
  }
  if (name === 'get_code_snippet' && data.source !== undefined) {
    const lines = String(data.source).split('\n');
    lines.forEach((l, i) => has(`${Number(data.start_line) + i}  ${l}`.trimEnd(), `source line ${i}`));
  }
  if (name === 'get_graph_schema') for (const k of data.node_kinds as Array<{ kind: string; count: number }>) has(`${k.kind} ${k.count}`, 'a kind count');
  if (name === 'get_architecture') for (const u of data.units as Array<{ unit: string }>) has(u.unit, 'a unit');
  if (name === 'detect_changes') for (const x of data.symbols as Array<{ qname: string; risk: string }>) has(`${x.risk.toUpperCase()}`, 'a risk');
  if (name === 'index_repository') has(`${data.nodes} nodes · ${data.edges} edges`, 'the counts');
  if (name === 'index_status' && data.counts) has(`${(data.counts as { symbols: number }).symbols} symbols`, 'the counts');
  if (name === 'delete_project') has(`${data.files} files, ${data.symbols} symbols, ${data.edges} edges`, 'the counts');
}

/** Pages through a paged tool to the end; returns every page. */
export async function pageAll(s: McpSession, name: string, args: Record<string, unknown>, roots: Record<string, string>): Promise<Answer[]> {
  const pages: Answer[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 1000; i++) {
    const a = await call(s, name, cursor ? { ...args, cursor } : args, { roots });
    expect(a.isError, a.text).toBe(false);
    pages.push(a);
    cursor = (a.data!.next_cursor as string | null) ?? undefined;
    if (!cursor) return pages;
  }
  throw new Error('paging did not end');
}
