/**
 * AWS's public WebSocket sample applications under `faas-grip-cdk dev`, with no change to their code. Their code is
 * not ours to copy into this repository and the tests reach no network, so this runs on checkouts the user gives:
 * `FAAS_GRIP_PUBLIC_SAMPLES=<dir>`, where each directory below `<dir>` (or below its subdirectories) holding a
 * template.yaml or a cdk.json (with its `npm install` done) is one sample, for example
 *   <dir>/simple-websockets-chat-app                       (github.com/aws-samples/simple-websockets-chat-app, SAM)
 *   <dir>/api-websocket-lambda-dynamodb                    (aws-samples/aws-cdk-examples, CDK L1 resources)
 * For each: `faas-grip-cdk dev` starts it as it is, two clients connect to its WebSocket API, one sends
 * `sendmessage` (with the text as `data` and as `message`, the two shapes AWS's samples read) and the other receives
 * it. Without the variable the test is skipped and says so (also under CI: no checkout can be fetched there).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { E2eClient, terminateAll } from '../../helpers/e2e-ws-client';
import { startLocalCommand, waitForLine } from '../../helpers/local-command';

jest.setTimeout(180_000);

const BIN = join(__dirname, '..', '..', '..', 'dist', 'bin', 'faas-grip-cdk.js');
const ROOT = process.env.FAAS_GRIP_PUBLIC_SAMPLES;

/** The sample directories below `root` (two levels at most). */
function samplesIn(root: string): string[] {
  const isSample = (dir: string) => ['template.yaml', 'template.yml', 'cdk.json'].some((f) => existsSync(join(dir, f)));
  const below = (dir: string) =>
    readdirSync(dir)
      .filter((name) => !name.startsWith('.') && name !== 'node_modules')
      .map((name) => join(dir, name))
      .filter((path) => statSync(path).isDirectory());
  return below(root).flatMap((dir) => (isSample(dir) ? [dir] : below(dir).filter(isSample)));
}

const samples = ROOT ? samplesIn(ROOT) : [];
if (!ROOT) {
  console.warn(
    'public-samples: skipped: set FAAS_GRIP_PUBLIC_SAMPLES to a directory of checkouts of AWS sample apps to run them',
  );
}

(samples.length > 0 ? describe : describe.skip)('public samples', () => {
  it.each(samples.map((dir) => [dir]))('%s runs unchanged and two clients chat', async (dir) => {
    const command = startLocalCommand(BIN, ['dev', '--no-watch'], {}, dir);
    const clients: E2eClient[] = [];
    try {
      await waitForLine(command, /^dynamodb: /, 150_000);
      const url = command.stdout.find((l) => l.startsWith('websocket '))?.split(': ')[1] ?? '';
      expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\//);
      const a = await E2eClient.connect('a', url);
      const b = await E2eClient.connect('b', url);
      clients.push(a, b);
      const text = `hello from a sample test ${Date.now()}`;
      a.send(JSON.stringify({ action: 'sendmessage', data: text, message: text }));
      const deadline = Date.now() + 10_000;
      while (!b.pending().some((m) => m.includes(text)) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(b.pending().some((m) => m.includes(text))).toBe(true);
      expect(command.stderr()).not.toMatch(/faas-grip-cdk dev: handler failed/);
    } finally {
      terminateAll(clients);
      await command.stop();
    }
  });
});
