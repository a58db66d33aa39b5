import { spawn } from 'node:child_process';

export const OUTPUT_CAP_BYTES = 64 * 1024;

export interface ProcessResult {
  exitCode: number | null;
  signal?: string;
  timedOut: boolean;
  cancelled: boolean;
  durationMs: number;
  stdout: string;
  stderr: string;
  stdoutBytes: number;
  stderrBytes: number;
  truncated: boolean;
}

/** Keeps the first `cap` bytes of a stream and counts the rest. */
class Capped {
  private chunks: Buffer[] = [];
  kept = 0;
  total = 0;
  constructor(private readonly cap: number) {}
  push(chunk: Buffer) {
    this.total += chunk.length;
    if (this.kept < this.cap) {
      const part = chunk.subarray(0, this.cap - this.kept);
      this.chunks.push(part);
      this.kept += part.length;
    }
  }
  text() {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/**
 * Runs one argv without a shell, in its own process group, with a minimal environment.
 * A timeout or an abort kills the whole group: TERM, then KILL after a grace period.
 */
export function runProcess(options: {
  file: string;
  args: string[];
  env: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
  cap?: number;
  graceMs?: number;
  onProgress?: (bytes: number) => void;
}): Promise<ProcessResult> {
  const cap = options.cap ?? OUTPUT_CAP_BYTES;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(options.file, options.args, {
      shell: false,
      detached: true,
      env: options.env,
      cwd: '/',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = new Capped(cap);
    const err = new Capped(cap);
    let timedOut = false;
    let cancelled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const killGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        // The group is already gone.
      }
    };
    const stop = () => {
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), options.graceMs ?? 2000);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, options.timeoutMs);
    const onAbort = () => {
      cancelled = true;
      stop();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (c: Buffer) => {
      out.push(c);
      options.onProgress?.(out.total + err.total);
    });
    child.stderr.on('data', (c: Buffer) => {
      err.push(c);
      options.onProgress?.(out.total + err.total);
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
      // Leftovers of a killed group must not outlive the step.
      if (timedOut || cancelled) killGroup('SIGKILL');
      if (killTimer) clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
      // A background child that inherited our pipes must not keep the step open.
      const finish = () =>
        resolve({
          exitCode: code,
          signal: sig ?? undefined,
          timedOut,
          cancelled,
          durationMs: Date.now() - started,
          stdout: out.text(),
          stderr: err.text(),
          stdoutBytes: out.total,
          stderrBytes: err.total,
          truncated: out.total > cap || err.total > cap,
        });
      let done = false;
      const once = () => {
        if (!done) {
          done = true;
          finish();
        }
      };
      child.on('close', once);
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        once();
      }, 500).unref();
    });
  });
}
