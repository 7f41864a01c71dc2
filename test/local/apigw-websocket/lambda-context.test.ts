/**
 * How the local servers call a handler, as the Lambda Node.js runtime does: async handlers by their promise,
 * callback-style handlers by `callback(error, result)` or `context.done/succeed/fail`, whichever comes first.
 */
import { invokeHandler, type LambdaHandler } from '../../../local/apigw-websocket/lambda-context';

const handlerOf = (fn: (...args: never[]) => unknown) => fn as unknown as LambdaHandler;

test('an async handler gives its result, a rejection is the error', async () => {
  expect(
    await invokeHandler(
      handlerOf(async () => ({ statusCode: 200 })),
      {},
    ),
  ).toEqual({ statusCode: 200 });
  await expect(
    invokeHandler(
      handlerOf(async () => Promise.reject(new Error('boom'))),
      {},
    ),
  ).rejects.toThrow('boom');
});

test('a callback-style handler completes through the callback, later, with a result or an error', async () => {
  const ok = handlerOf((_event: never, _context: never, callback: (e: unknown, r?: unknown) => void) => {
    setTimeout(() => callback(null, { statusCode: 201 }), 10);
  });
  const failing = handlerOf((_event: never, _context: never, callback: (e: unknown) => void) => {
    setTimeout(() => callback('bad request'), 10);
  });

  expect(await invokeHandler(ok, {})).toEqual({ statusCode: 201 });
  await expect(invokeHandler(failing, {})).rejects.toThrow('bad request');
});

test('context.succeed, context.fail and context.done complete too, once', async () => {
  type Ctx = { succeed(r: unknown): void; fail(e: unknown): void; done(e?: unknown, r?: unknown): void };
  const viaSucceed = handlerOf((_e: never, context: Ctx, _cb: unknown) => {
    context.succeed({ statusCode: 200 });
    context.fail(new Error('too late: the first completion wins'));
  });
  const viaFail = handlerOf((_e: never, context: Ctx, _cb: unknown) => context.fail('refused'));
  const viaDone = handlerOf((_e: never, context: Ctx, _cb: unknown) => context.done(undefined, 'done'));

  expect(await invokeHandler(viaSucceed, {})).toEqual({ statusCode: 200 });
  await expect(invokeHandler(viaFail, {})).rejects.toThrow('refused');
  expect(await invokeHandler(viaDone, {})).toBe('done');
});

test('a handler that throws at once is the error', async () => {
  const throwing = handlerOf(() => {
    throw new Error('sync throw');
  });
  await expect(invokeHandler(throwing, {})).rejects.toThrow('sync throw');
});
