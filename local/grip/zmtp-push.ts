/**
 * A ZeroMQ PUSH socket over a unix socket, enough to hand publish items to Pushpin's publish socket
 * (`push_in_spec`, a PULL socket) when that socket lives in the instance's private run directory and no TCP publish
 * port is open. It speaks ZMTP 3.0 with the NULL mechanism: a 64-byte greeting each way, a READY command naming the
 * socket type, then one frame per message. Nothing else of ZeroMQ is needed here.
 */
import { connect, type Socket } from 'node:net';
import { FaasGripError } from '../../lambda/core/errors';

const GREETING_BYTES = 64;
const FLAG_LONG = 0x02;
const FLAG_COMMAND = 0x04;

/** Our greeting: signature, version 3.0, mechanism NULL, not as-server. */
function greeting(): Buffer {
  const bytes = Buffer.alloc(GREETING_BYTES);
  bytes[0] = 0xff;
  bytes[9] = 0x7f;
  bytes[10] = 3;
  bytes[11] = 0;
  bytes.write('NULL', 12, 'ascii');
  return bytes;
}

/** One frame: flags, a 1-byte or 8-byte size, the body. */
function zmtpFrame(body: Buffer, command = false): Buffer {
  const long = body.length > 255;
  const flags = (command ? FLAG_COMMAND : 0) | (long ? FLAG_LONG : 0);
  const size = long ? Buffer.alloc(8) : Buffer.from([body.length]);
  if (long) size.writeBigUInt64BE(BigInt(body.length));
  return Buffer.concat([Buffer.from([flags]), size, body]);
}

function readyCommand(socketType: string): Buffer {
  const name = Buffer.from('Socket-Type', 'ascii');
  const value = Buffer.from(socketType, 'ascii');
  const valueSize = Buffer.alloc(4);
  valueSize.writeUInt32BE(value.length);
  const body = Buffer.concat([
    Buffer.from([5]),
    Buffer.from('READY', 'ascii'),
    Buffer.from([name.length]),
    name,
    valueSize,
    value,
  ]);
  return zmtpFrame(body, true);
}

/** A connected PUSH socket. */
export interface PushSocket {
  /** Sends one single-frame message; resolves once it is written to the socket. */
  send(message: Buffer): Promise<void>;
  /** Closes the connection. */
  close(): void;
}

/**
 * Connects to the PULL socket at `path` and resolves once both sides have exchanged greetings and READY commands,
 * so messages sent from then on reach the peer. Rejects when the socket cannot be reached or the peer does not
 * speak ZMTP 3 with the NULL mechanism, or after `timeoutMs`.
 */
export function connectPush(path: string, timeoutMs = 2_000): Promise<PushSocket> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(path);
    let received = Buffer.alloc(0);
    let settled = false;
    const fail = (reason: string) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      reject(new FaasGripError(`zmtp ${path}: ${reason}`));
    };
    const timer = setTimeout(() => fail(`no handshake within ${timeoutMs} ms`), timeoutMs);
    socket.on('error', (error) => fail(error.message));
    socket.on('close', () => fail('closed during the handshake'));
    socket.on('connect', () => {
      socket.write(greeting());
      socket.write(readyCommand('PUSH'));
    });
    socket.on('data', (chunk: Buffer) => {
      if (settled) return; // a PULL peer sends nothing after its READY
      received = Buffer.concat([received, chunk]);
      if (received.length < GREETING_BYTES + 2) return;
      if (received[0] !== 0xff || received[9] !== 0x7f || received[10] < 3) return fail('the peer is not ZMTP 3');
      if (received.subarray(12, 16).toString('ascii') !== 'NULL') return fail('the peer wants a security mechanism');
      const flags = received[GREETING_BYTES];
      if ((flags & FLAG_COMMAND) === 0) return fail('the peer did not start with a command');
      const long = (flags & FLAG_LONG) !== 0;
      const headerBytes = long ? 9 : 2;
      if (received.length < GREETING_BYTES + headerBytes) return;
      const size = long ? Number(received.readBigUInt64BE(GREETING_BYTES + 1)) : received[GREETING_BYTES + 1];
      if (received.length < GREETING_BYTES + headerBytes + size) return;
      const command = received.subarray(GREETING_BYTES + headerBytes, GREETING_BYTES + headerBytes + size);
      if (command.subarray(0, 6).toString('ascii') !== '\u0005READY') return fail('the peer did not send READY');
      settled = true;
      clearTimeout(timer);
      socket.removeAllListeners('close');
      resolve(openSocket(socket));
    });
  });
}

function openSocket(socket: Socket): PushSocket {
  let closed: Error | undefined;
  socket.on('error', (error) => {
    closed = error;
  });
  socket.on('close', () => {
    closed ??= new FaasGripError('zmtp: the publish socket closed');
  });
  return {
    send: (message) =>
      new Promise((resolve, reject) => {
        if (closed) return reject(closed);
        socket.write(zmtpFrame(message), (error) => (error ? reject(error) : resolve()));
      }),
    close: () => {
      socket.destroy();
    },
  };
}
