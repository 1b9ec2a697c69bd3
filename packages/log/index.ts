/**
 * A tiny size-bounded, rotated, append-only log file. Several processes (shims) may append to one file:
 * each line is one O_APPEND write, so lines never interleave. Nothing here ever writes to stdout, which in
 * the shim is the MCP protocol channel.
 */
import { appendFileSync, closeSync, fstatSync, openSync, readSync, renameSync, statSync } from 'node:fs';

export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(event: string, fields?: Record<string, unknown>): void;
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
  readonly file: string;
}

export interface LoggerOptions {
  /** Rotate when the file grows past this many bytes. */
  maxBytes?: number;
  /** Rotated generations kept (file.1 … file.N). */
  keep?: number;
  /** Tag put on every line, e.g. `daemon` or `shim:1234`. */
  tag: string;
  /** Lines below this level are dropped. CODEHIVE_LOG_LEVEL overrides. */
  level?: Level;
}

const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Whether `s` names a level (what CODEHIVE_LOG_LEVEL may be). */
export function isLevel(s: string): s is Level {
  return Object.hasOwn(ORDER, s);
}
// Check the size only every few writes: a stat per line would cost more than the write.
const SIZE_CHECK_EVERY = 64;

export function createLogger(file: string, opts: LoggerOptions): Logger {
  const maxBytes = opts.maxBytes ?? 5 * 1024 * 1024;
  const keep = opts.keep ?? 3;
  const envLevel = process.env.CODEHIVE_LOG_LEVEL as Level | undefined;
  const min = ORDER[envLevel && isLevel(envLevel) ? envLevel : (opts.level ?? 'info')];
  let writes = 0;

  const rotateIfBig = () => {
    let size = 0;
    try {
      size = statSync(file).size;
    } catch {
      return;
    }
    if (size < maxBytes) return;
    for (let i = keep - 1; i >= 1; i--) {
      try {
        renameSync(`${file}.${i}`, `${file}.${i + 1}`);
      } catch {
        /* generation absent */
      }
    }
    try {
      renameSync(file, `${file}.1`);
    } catch {
      /* another process rotated it first */
    }
  };

  const write = (level: Level, event: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < min) return;
    const line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} [${opts.tag}] ${event}${formatFields(fields)}\n`;
    try {
      if (writes++ % SIZE_CHECK_EVERY === 0) rotateIfBig();
      appendFileSync(file, line, { mode: 0o600 });
    } catch {
      // A log that cannot be written must never take the process down with it.
    }
  };

  return {
    file,
    debug: (e, f) => write('debug', e, f),
    info: (e, f) => write('info', e, f),
    warn: (e, f) => write('warn', e, f),
    error: (e, f) => write('error', e, f),
  };
}

function formatFields(fields?: Record<string, unknown>): string {
  if (!fields) return '';
  let out = '';
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    const text = v instanceof Error ? (v.stack ?? v.message) : typeof v === 'string' ? v : JSON.stringify(v);
    out += ` ${k}=${/[\s"=]/.test(text) ? JSON.stringify(text) : text}`;
  }
  return out;
}

/** The last `lines` lines of a log file (for "the daemon failed to start" messages). */
export function logTail(file: string, lines = 20): string {
  try {
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
      const len = Math.min(size, 16 * 1024);
      const buf = Buffer.alloc(len);
      readSync(fd, buf, 0, len, size - len);
      return buf.toString('utf8').split('\n').filter(Boolean).slice(-lines).join('\n');
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
}
