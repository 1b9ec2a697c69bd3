/** The two flags every bench script understands: `--corpus <name>` (repeatable) and `--json`. */
export interface BenchArgs {
  corpora: string[];
  json: boolean;
  rest: string[];
}

export function parseArgs(argv: string[] = process.argv.slice(2)): BenchArgs {
  const out: BenchArgs = { corpora: [], json: false, rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--corpus') {
      const v = argv[++i];
      if (!v) throw new Error('--corpus needs a name');
      out.corpora.push(...v.split(','));
    } else if (a.startsWith('--corpus=')) out.corpora.push(...a.slice(9).split(','));
    else if (a === '--json') out.json = true;
    else out.rest.push(a);
  }
  return out;
}
