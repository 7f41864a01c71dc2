/** Runs the end-to-end bench's load generator (bench/e2e-client.js) as a child process. */
'use strict';

const { spawn } = require('node:child_process');
const path = require('node:path');

/** Runs the load generator once against `server`; resolves its result plus the server's CPU in the window. */
function runClient(server, config) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, '..', 'e2e-client.js'), JSON.stringify(config)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buffer = '';
    let stderr = '';
    let cpuStart;
    let cpuEnd;
    let outcome;
    child.stderr.on('data', (c) => {
      stderr = (stderr + c).slice(-4000);
    });
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const msg = JSON.parse(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
        if (msg.phase === 'measure-start') cpuStart = server.cpuMs();
        else if (msg.phase === 'measure-end') cpuEnd = server.cpuMs();
        else outcome = msg;
      }
    });
    child.once('exit', (code) => {
      if (!outcome || outcome.error || code !== 0) {
        return reject(new Error(`load client on ${config.url}: ${outcome?.error ?? `exit ${code}`} ${stderr}`));
      }
      const r = outcome.result;
      r.serverCpuMs = cpuEnd.tree - cpuStart.tree;
      r.backendCpuMs = cpuEnd.self - cpuStart.self;
      resolve(r);
    });
  });
}

module.exports = { runClient };
