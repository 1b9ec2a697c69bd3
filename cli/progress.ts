/**
 * A one-line progress bar on a TTY (stderr, so piped stdout stays clean); silent elsewhere.
 */
export interface ProgressReporter {
  update: (progress: number, total?: number, message?: string) => void;
  done: () => void;
}

export function progressReporter(stream: NodeJS.WriteStream): ProgressReporter | undefined {
  if (!stream.isTTY) return undefined;
  let shown = false;
  let last = 0;
  return {
    update(progress, total, message) {
      const now = Date.now();
      if (now - last < 50 && progress !== total) return;
      last = now;
      const width = 30;
      const frac = total ? Math.min(1, progress / total) : 0;
      const bar = total ? '█'.repeat(Math.round(frac * width)).padEnd(width, '░') : '';
      const count = total ? `${progress}/${total}` : String(progress);
      stream.write(`\r\x1b[K${bar} ${count} ${message ?? ''}`.slice(0, (stream.columns || 80) + 5));
      shown = true;
    },
    done() {
      if (shown) stream.write('\r\x1b[K');
      shown = false;
    },
  };
}
