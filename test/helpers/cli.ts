import { execFile } from 'node:child_process';
import path from 'node:path';
import { run } from '../../client/cli/main';

const BIN = path.resolve(__dirname, '../../bin/incidentctl.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `incidentctl` in this process through run(argv): the same program, parser and error handler, no spawn. */
export async function runCli(env: Record<string, string>, ...args: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await run(['node', 'incidentctl', ...args], {
    env: { ...process.env, ...env },
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
  });
  return { code, stdout, stderr };
}

/** Runs the real `incidentctl` binary, as a user would (smoke tests of the entry point). */
export function runCliBinary(env: Record<string, string>, ...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}
