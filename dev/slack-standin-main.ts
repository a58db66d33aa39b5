// The Slack stand-in as a process of its own (the drill runs it apart, so its work never delays the
// drill's own clocks): SLACK_STANDIN_PORT; its state at /_standin/messages and /_standin/calls.
import { startSlackStandin } from './slack-standin';

startSlackStandin(Number(process.env.SLACK_STANDIN_PORT ?? 0))
  .then((standin) => {
    console.log(`Slack stand-in listening on ${standin.origin}`);
    process.once('SIGTERM', () => void standin.close().then(() => process.exit(0)));
  })
  .catch((error: Error) => {
    console.error(error.message);
    process.exit(1);
  });
