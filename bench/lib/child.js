/**
 * Server processes of the benches: each is a Node script that prints one JSON line when it is ready (its
 * ports) and stops on SIGTERM. Running servers in their own processes keeps their CPU off the measuring
 * process's event loop, as it would be in production. Also reads a process's CPU time from /proc.
 */
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

/**
 * Starts `node [...nodeArgs] <script> ...args` and resolves with `{ info, pid, stop, cpuMs }` once it printed its JSON line.
 * The child's stderr is kept for the error message if it fails.
 */
function startServer(script, args = [], { env = {}, timeoutMs = 30_000, nodeArgs = [] } = {}) {
  const child = spawn(process.execPath, [...nodeArgs, path.join(__dirname, '..', 'servers', script), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  let exited = false;
  const exit = new Promise((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const stop = async () => {
    if (!exited) child.kill('SIGTERM');
    const timer = setTimeout(() => !exited && child.kill('SIGKILL'), 10_000);
    await exit;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`${script} did not start within ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.stdout.on('data', (chunk) => {
      if (child.info) return; // later output (logs) is read and dropped
      stdout += chunk;
      const nl = stdout.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      child.info = JSON.parse(stdout.slice(0, nl));
      resolve({
        info: child.info,
        pid: child.pid,
        stop,
        cpuMs: () => ({ self: selfCpuMs(child.pid), tree: treeCpuMs(child.pid) }),
        stderr: () => stderr,
      });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!child.info) reject(new Error(`${script} exited with ${code} before it was ready: ${stderr}`));
    });
  });
}

const TICK_MS = 10; // USER_HZ 100 on Linux

/** utime + stime of one process, in milliseconds (0 when /proc is not readable). */
function selfCpuMs(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/** utime + stime of a process and its live descendants, in milliseconds. */
function treeCpuMs(pid) {
  let total = selfCpuMs(pid);
  try {
    const tasks = fs.readdirSync(`/proc/${pid}/task`);
    for (const task of tasks) {
      const children = fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      for (const c of children ? children.split(' ') : []) total += treeCpuMs(Number(c));
    }
  } catch {
    // gone
  }
  return total;
}

/** Prints the ready line of a server script and stops it on SIGTERM. */
function ready(info, stop) {
  process.stdout.write(`${JSON.stringify(info)}\n`);
  process.once('SIGTERM', () => {
    Promise.resolve(stop()).finally(() => process.exit(0));
  });
}

module.exports = { startServer, selfCpuMs, treeCpuMs, ready };
