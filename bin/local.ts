#!/usr/bin/env node
/**
 * `faas-grip-local` (`npm start`): serves a WebSocket handler locally on the native and GRIP transports with a chat
 * page, prints one line per endpoint, and stops every child process on Ctrl-C or SIGTERM.
 */
import { describeDevServer, startDevServer } from '../local/dev-server/dev-server';
import { parseDevServerArgs, USAGE } from '../local/dev-server/dev-server-args';

async function main(): Promise<void> {
  const command = parseDevServerArgs(process.argv.slice(2));
  if (command.help) {
    console.log(USAGE);
    return;
  }
  const server = await startDevServer(command.options);
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    server.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`faas-grip-local: stop failed: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  for (const warning of server.warnings) console.error(`faas-grip-local: warning: ${warning}`);
  for (const line of describeDevServer(server)) console.log(line);
}

main().catch((error: unknown) => {
  console.error(`faas-grip-local: ${(error as Error).message}`);
  process.exit(1);
});
