import { existsSync, readdirSync, readFileSync } from 'node:fs';
import jwt from 'jsonwebtoken';
import type { RestProxyEvent } from '../../local/proxy-event';
import { type PublishGate, startPublishGate } from '../../local/publish-gate';
import { findPushpin, type PushpinInstance, startPushpin } from '../../local/pushpin';
import { startRestFrontDoor } from '../../local/rest-front-door';
import { answerEvents, startWohBackend, WOH_HEADERS, type WohBackend } from './woh-backend';
import { connect } from './ws-client';

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
  let gates: PublishGate[] = [];

  beforeAll(async () => {
    backend = await startWohBackend();
    instances = await Promise.all([startPushpin({ target: backend.target }), startPushpin({ target: backend.target })]);
    gates = await Promise.all(
      instances.map((i) => startPublishGate({ upstream: i.publishUrl, iss: GATE_ISS, key: GATE_KEY })),
    );
  });
  afterAll(async () => {
    await Promise.all(gates.map((g) => g.stop()));
    await Promise.all(instances.map((i) => i.stop()));
    await backend?.stop();
  });

  const publish = (gate: PublishGate, channel: string, content: string, key = GATE_KEY) =>
    fetch(`${gate.url}/publish/`, {
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

  it('round-trips WebSocket messages and gate-checked publishes through each instance', async () => {
    await Promise.all(
      instances.map(async (instance, n) => {
        const channel = `room-${n}`;
        const client = await connect(`${instance.httpUrl.replace('http:', 'ws:')}/ws/${channel}`);
        client.ws.send(`hello ${n}`);
        expect(await client.nextMessage()).toBe(`hello ${n}`);

        const wrong = await publish(gates[n], channel, 'forged', 'not-the-key');
        expect(wrong.status).toBe(401);
        const right = await publish(gates[n], channel, `published ${n}`);
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
