import { DefaultLogger, Runtime } from '@temporalio/worker';

// Keep worker chatter out of test output; the Runtime can be installed once per process.
try {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
} catch {
  // already installed by an earlier test file in this process
}
