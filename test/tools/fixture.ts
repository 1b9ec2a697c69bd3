/** Temp project dirs for tool tests, removed when the test file that made them ends. */
import { cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { ToolResult } from '../../packages/protocol/index.js';

const made: string[] = [];
// Registered while the importing test file is collected, so it runs after that file's own afterAll hooks
// (which close the stores and daemons using these dirs). Every run left 11 dirs behind in /tmp before.
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** An empty project dir `name` in a fresh temp dir (so the project name is stable; for projects a test writes itself). */
export function emptyProject(name: string): string {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'codehive-fx-')));
  made.push(base);
  const root = join(base, name);
  mkdirSync(root);
  return root;
}

/** Copies a fixture project into a fresh temp dir (named like the fixture, so the project name is stable). */
export function copyFixture(name: string): string {
  const root = emptyProject(name);
  cpSync(join('test/fixtures/tools', name), root, { recursive: true });
  return root;
}

/** The answer text with the temp root replaced, so assertions are exact and stable. */
export function textOf(r: ToolResult, root: string): string {
  return r.text.split(root).join('<root>');
}
