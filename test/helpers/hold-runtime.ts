/**
 * The runtime the HTTP-hold e2e tests drive: publish and its formats, the HTTP event reader, the channel log, and
 * the stream and long-poll examples, loaded fresh (after the test set its environment); and the handler that sends
 * `/poll/...` to the long-poll example and everything else to the stream example.
 */
import type { LambdaHandler } from '../../local/apigw-websocket/lambda-context';
import { loadFresh } from './e2e-env';

export function loadHoldRuntime() {
  return loadFresh(() => ({
    ...(require('../../lambda/core/publish') as typeof import('../../lambda/core/publish')),
    ...(require('../../lambda/grip/formats') as typeof import('../../lambda/grip/formats')),
    ...(require('../../lambda/aws/http-event') as typeof import('../../lambda/aws/http-event')),
    ...(require('../../lambda/channels/durable') as typeof import('../../lambda/channels/durable')),
    stream: (require('../../lambda/examples/stream') as { handler: LambdaHandler }).handler,
    poll: (require('../../lambda/examples/long-poll') as { handler: LambdaHandler }).handler,
  }));
}

export type HoldRuntime = ReturnType<typeof loadHoldRuntime>;

/** A handler routing by the path's first segment to the runtime `current()` returns (tests reload it). */
export function holdRouter(current: () => HoldRuntime): LambdaHandler {
  return ((event: never, context: never) => {
    const rt = current();
    const kind = rt.parseHttpEvent(event).path.split('/').filter(Boolean)[0];
    return (kind === 'poll' ? rt.poll : rt.stream)(event, context);
  }) as LambdaHandler;
}
