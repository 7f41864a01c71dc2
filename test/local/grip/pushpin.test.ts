import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import jwt from 'jsonwebtoken';
import type { RestProxyEvent } from '../../../local/grip/proxy-event';
import { findPushpin, type PushpinInstance, startPushpin } from '../../../local/grip/pushpin';
import { startRestFrontDoor } from '../../../local/grip/rest-front-door';
import { answerEvents, startWohBackend, WOH_HEADERS, type WohBackend } from '../../helpers/local-woh-backend';
import { connect } from '../../helpers/local-ws-client';

const pushpin = findPushpin();
const runs = pushpin !== undefined || process.env.CI === 'true';
if (!runs)
  console.warn('pushpin is not installed: skipping the Pushpin launcher tests (install pushpin or set PUSHPIN_BIN)');
const suite = runs ? describe : describe.skip;

/** Ids of the live processes whose parent is `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  if (!existsSync('/proc')) return [];
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return Number(fields[1]) === pid && fields[0] !== 'Z';
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** The TCP ports the processes `pids` listen on (Linux /proc: their socket inodes in /proc/net/tcp and tcp6). */
function listeningPorts(pids: readonly number[]): number[] {
  const inodes = new Set<string>();
  for (const pid of pids) {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        if (inode) inodes.add(inode);
      } catch {
        // closed meanwhile
      }
    }
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(table)) continue;
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== '0A' || !inodes.has(fields[9])) continue;
      ports.add(Number.parseInt(fields[1].split(':')[1], 16));
    }
  }
  return [...ports].sort((a, b) => a - b);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

suite(`startPushpin${runs ? '' : ' (skipped: pushpin is not installed)'}`, () => {
  const GATE_ISS = 'local-backend';
  const GATE_KEY = 'gate-key-for-tests';
  let backend: WohBackend;
  let instances: PushpinInstance[] = [];

  beforeAll(async () => {
    backend = await startWohBackend();
    const options = { target: backend.target, publishIss: GATE_ISS, publishKey: GATE_KEY };
    instances = await Promise.all([startPushpin(options), startPushpin(options)]);
  });
  afterAll(async () => {
    await Promise.all(instances.map((i) => i.stop()));
    await backend?.stop();
  });

  const publish = (instance: PushpinInstance, channel: string, content: string, key = GATE_KEY) =>
    fetch(`${instance.publishUrl}/publish/`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Authorization: `Bearer ${jwt.sign({ iss: GATE_ISS }, key, { algorithm: 'HS256', expiresIn: 600 })}`,
      },
      body: JSON.stringify({ items: [{ channel, formats: { 'ws-message': { content } } }] }),
    });

  it('runs two instances side by side on different ports', () => {
    const ports = instances.flatMap((i) => [i.httpPort, i.publishPort]);
    expect(new Set(ports).size).toBe(4);
    expect(instances[0].sigKey).not.toBe(instances[1].sigKey);
  });

  it('opens no TCP port but the client port: Pushpin publishes only through its private socket', () => {
    if (!existsSync('/proc/net/tcp')) return;
    for (const instance of instances) {
      expect(listeningPorts([instance.pid, ...childrenOf(instance.pid)])).toEqual([instance.httpPort]);
    }
  });

  it('publishes only with a token of its issuer and key that expires', async () => {
    const body = JSON.stringify({ items: [{ channel: 'nobody', formats: { 'ws-message': { content: 'x' } } }] });
    const send = (authorization?: string) =>
      fetch(`${instances[0].publishUrl}/publish/`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...(authorization ? { Authorization: authorization } : {}) },
        body,
      });
    expect((await send()).status).toBe(401);
    expect((await send(`Bearer ${jwt.sign({ iss: GATE_ISS }, GATE_KEY, { algorithm: 'HS256' })}`)).status).toBe(401);
    const expiring = jwt.sign({ iss: GATE_ISS }, GATE_KEY, { algorithm: 'HS256', expiresIn: 60 });
    expect((await send(`Bearer ${expiring}`)).status).toBe(200);
  });

  it('round-trips WebSocket messages and gate-checked publishes through each instance', async () => {
    await Promise.all(
      instances.map(async (instance, n) => {
        const channel = `room-${n}`;
        const client = await connect(`${instance.httpUrl.replace('http:', 'ws:')}/ws/${channel}`);
        client.ws.send(`hello ${n}`);
        expect(await client.nextMessage()).toBe(`hello ${n}`);

        const wrong = await publish(instance, channel, 'forged', 'not-the-key');
        expect(wrong.status).toBe(401);
        const right = await publish(instance, channel, `published ${n}`);
        expect(right.status).toBe(200);
        // the forged publish never reached Pushpin: the next message is the accepted one
        expect(await client.nextMessage()).toBe(`published ${n}`);
        expect((await client.close(1000)).code).toBe(1000);
      }),
    );
  });

  it('signs proxied requests with a key its gripUrl verifies', () => {
    expect(backend.gripSigs.length).toBeGreaterThan(0);
    const verified = backend.gripSigs.filter((sig) =>
      instances.some((instance) => {
        const url = new URL(instance.gripUrl);
        try {
          jwt.verify(sig, url.searchParams.get('verify-key') ?? '', {
            algorithms: ['HS256'],
            issuer: url.searchParams.get('verify-iss') ?? '',
          });
          return true;
        } catch {
          return false;
        }
      }),
    );
    expect(verified).toEqual(backend.gripSigs);
  });

  it('stops every process it started', async () => {
    const pids = instances.flatMap((i) => [i.pid, ...childrenOf(i.pid)]);
    expect(pids.length).toBeGreaterThanOrEqual(instances.length * 5);
    await Promise.all(instances.map((i) => i.stop()));
    expect(pids.filter(alive)).toEqual([]);
  });
});

suite(`startPushpin in front of a REST front door${runs ? '' : ' (skipped: pushpin is not installed)'}`, () => {
  it('carries WebSocket-over-HTTP through the stage prefix, the Host check and base64 bodies', async () => {
    const seen: RestProxyEvent[] = [];
    const door = await startRestFrontDoor({
      handler: async (event: RestProxyEvent) => {
        seen.push(event);
        const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
        return {
          statusCode: 200,
          headers: WOH_HEADERS,
          body: answerEvents(event.path, body).toString('base64'),
          isBase64Encoded: true,
        };
      },
    });
    const instance = await startPushpin({
      target: `127.0.0.1:${door.port}`,
      route: { pathBeg: '/', replaceBeg: '/prod/', host: door.hostHeader },
    });
    try {
      const client = await connect(`${instance.httpUrl.replace('http:', 'ws:')}/ws/lobby`);
      client.ws.send('through the door');
      expect(await client.nextMessage()).toBe('through the door');
      await client.close(1000);
      expect(seen[0]).toMatchObject({ path: '/ws/lobby', isBase64Encoded: true, requestContext: { stage: 'prod' } });
      expect(seen[0].headers['Grip-Sig'] ?? seen[0].headers['grip-sig']).toBeDefined();
    } finally {
      await instance.stop();
      await door.stop();
    }
  });
});
