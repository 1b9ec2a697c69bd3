/** Copies a fixture project into a fresh temp dir (named like the fixture, so the project name is stable). */
import { cpSync, mkdirSync, mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ToolResult } from '../../packages/protocol/index.js';

export function copyFixture(name: string): string {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'codehive-fx-')));
  const root = join(base, name);
  mkdirSync(root);
  cpSync(join('test/fixtures/tools', name), root, { recursive: true });
  return root;
}

/** An empty project dir in a fresh temp dir, named `name` (for projects a test writes itself). */
export function emptyProject(name: string): string {
  const root = join(realpathSync(mkdtempSync(join(tmpdir(), 'codehive-fx-'))), name);
  mkdirSync(root);
  return root;
}

/** The answer text with the temp root replaced, so assertions are exact and stable. */
export function textOf(r: ToolResult, root: string): string {
  return r.text.split(root).join('<root>');
}
