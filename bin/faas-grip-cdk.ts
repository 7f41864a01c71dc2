#!/usr/bin/env node
/**
 * `npx faas-grip-cdk dev`: runs a user's CDK app, or SAM or CloudFormation template, locally. Synthesizes the app
 * (its cdk.json `app`, or `--app`), or reads an existing assembly (`--assembly cdk.out`) or a template (`--template`;
 * `template.yaml` when the directory has no cdk.json), and serves every WebSocket API it finds with the functions
 * behind its routes, their tables in a local DynamoDB; prints one line per API; on a change in the project, reads
 * the app again and reloads on the same URLs. Ctrl-C stops everything.
 */
import { existsSync, readFileSync, watch } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { AppModel } from '../local/dev/app-model';
import { readCloudAssembly } from '../local/dev/cloud-assembly';
import { type DevApp, localCertificate, startDevApp } from '../local/dev/dev-app';
import { appCommand, synthesize } from '../local/dev/synthesize';
import { readTemplateFile } from '../local/dev/template-file';
import { startLocalDynamo } from '../local/stack/local-dynamo';

const USAGE = `usage: faas-grip-cdk dev [options]

Runs the WebSocket APIs of the CDK app (or SAM or CloudFormation template) in the current directory locally,
at parity with API Gateway.

options:
  --app <command>     the app command (default: "app" of cdk.json)
  --assembly <dir>    serve an existing cloud assembly (cdk.out) instead of synthesizing; no reload
  --template <file>   serve a SAM or CloudFormation template (default without cdk.json: template.yaml, .yml, .json)
  --parameter <N=V>   a parameter's value, for every stack that has it (repeat for more; others take defaults)
  --stack-name <name> the template's stack name (default: its directory's name)
  --port <n>          port of the first API, the next ones follow (default 0: free ports)
  --host <addr>       interface to bind (default 127.0.0.1)
  --values <file>     JSON object of environment values the template cannot give locally (secrets...)
  --no-watch          do not synthesize again on changes
  -h, --help          show this help`;

/** The template files `dev` looks for in a directory without cdk.json, as SAM does. */
const TEMPLATE_FILES = ['template.yaml', 'template.yml', 'template.json'];

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  if (command !== 'dev') {
    console.log(USAGE);
    process.exitCode = command === undefined || command === '-h' || command === '--help' ? 0 : 1;
    return;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      app: { type: 'string' },
      assembly: { type: 'string' },
      template: { type: 'string' },
      parameter: { type: 'string', multiple: true },
      'stack-name': { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      values: { type: 'string' },
      'no-watch': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const project = process.cwd();
  const given = values.values
    ? (JSON.parse(readFileSync(resolve(values.values), 'utf8')) as Record<string, string>)
    : {};
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be a port number, got ${values.port}`);
  const parameters = Object.fromEntries(
    (values.parameter ?? []).map((pair) => {
      const at = pair.indexOf('=');
      if (at <= 0) throw new Error(`--parameter takes NAME=VALUE, got ${pair}`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
  const template =
    values.template ??
    (values.app || values.assembly || existsSync(resolve(project, 'cdk.json'))
      ? undefined
      : TEMPLATE_FILES.find((f) => existsSync(resolve(project, f))));
  if (values.template !== undefined && (values.app !== undefined || values.assembly !== undefined)) {
    throw new Error('--template reads a template file: give it without --app or --assembly');
  }
  if (template === undefined && values['stack-name'] !== undefined) {
    throw new Error("--stack-name names a template file's stack (--template): a CDK app names its own stacks");
  }
  const readApp = async (): Promise<AppModel> => {
    if (template !== undefined) {
      return readTemplateFile(resolve(template), { parameters, stackName: values['stack-name'] });
    }
    if (values.assembly) return readCloudAssembly(resolve(values.assembly), parameters);
    const assembly = await synthesize(project, values.app ?? appCommand(project), 'cdk.out.faas-grip-dev');
    return readCloudAssembly(assembly, parameters);
  };
  let app: DevApp | undefined;
  // Kept across reloads: the tables keep their items, and the certificate is made once.
  const dynamo = await startLocalDynamo({ host: values.host });
  const certificate = await localCertificate();
  const start = async (ports?: number[]) => {
    const model = await readApp();
    if (model.apis.length + model.gripOrigins.length === 0) {
      console.error('faas-grip-cdk dev: warning: the app has no WebSocket API and no GRIP origin');
    }
    app = await startDevApp(model, { host: values.host, port, ports, values: given, dynamo, certificate });
    for (const warning of app.warnings) console.error(`faas-grip-cdk dev: warning: ${warning}`);
    for (const api of app.apis) console.log(`websocket ${api.id}: ${api.url}`);
    for (const origin of app.gripOrigins) console.log(`grip ${origin.id}: ${origin.url}`);
    console.log(`dynamodb: ${app.dynamoEndpoint}`);
  };
  await start();
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    void (app?.stop() ?? Promise.resolve()).then(() => dynamo.stop()).then(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  // A template's directory is its project (it may be given from elsewhere).
  const watched = template === undefined ? project : dirname(resolve(template));
  if (values.assembly || values['no-watch'] || !existsSync(watched)) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let reloading = Promise.resolve();
  watch(watched, { recursive: true }, (_event, file) => {
    const name = String(file ?? '');
    if (/(^|\/)(node_modules|cdk\.out[^/]*|\.aws-sam|\.git)(\/|$)/.test(name)) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      reloading = reloading.then(async () => {
        const ports = app?.apis.map((a) => a.emulator.port);
        try {
          await app?.stop();
          await start(ports);
          console.log('reloaded');
        } catch (error) {
          console.error(`faas-grip-cdk dev: reload failed: ${(error as Error).message}`);
        }
      });
    }, 300);
  });
}

main().catch((error: unknown) => {
  console.error(`faas-grip-cdk dev: ${(error as Error).message}`);
  process.exit(1);
});
