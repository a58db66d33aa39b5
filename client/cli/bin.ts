// The incidentctl entry point: the only CLI code that reads argv and the process environment.
import { ExitCode } from '../failures';
import { run } from './main';

// `incidentctl list | head` closes our stdout early; that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(ExitCode.Ok);
});
void run(process.argv, {
  env: process.env,
  colour: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
}).then((code) => {
  process.exitCode = code;
});
