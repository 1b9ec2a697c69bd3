/**
 * The tool list as the build wrote it (dist/tool-schemas.json, JSON Schema generated from definitions.ts by
 * scripts/postbuild.mjs). The shim and the CLI read this instead of importing the zod definitions: a shim
 * per agent window must start fast and stay small, and zod alone costs ~17 ms and ~5 MB.
 */
import { readFileSync } from 'node:fs';

export interface CatalogTool {
  name: string;
  title: string;
  description: string;
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  annotations: { title: string; readOnlyHint: boolean; destructiveHint: boolean; idempotentHint: boolean; openWorldHint: boolean };
}

export interface ToolCatalog {
  instructions: string;
  tools: CatalogTool[];
}

let cached: ToolCatalog | undefined;

export function toolCatalog(): ToolCatalog {
  cached ??= JSON.parse(readFileSync(new URL('../../tool-schemas.json', import.meta.url), 'utf8')) as ToolCatalog;
  return cached;
}

/** Whether a call of `name` only reads (and may therefore be retried after a daemon death). */
export function isReadOnlyTool(name: string): boolean {
  return toolCatalog().tools.find((t) => t.name === name)?.annotations.readOnlyHint ?? false;
}
