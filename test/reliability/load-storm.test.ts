/**
 * The reconnect storm, bounded for CI (the full run is `npm run load`, results in RELIABILITY.md): 40 clients, 20
 * through Pushpin and 20 through the API Gateway WebSocket emulator, follow 5 durable channels while 1,000 messages
 * are published; each client is cut (reset, no close frame) at random three times and kept offline up to 1.5 s.
 * Every client ends with every message of its channel exactly once, in offset order, with the data published.
 */
import { describeWithPushpin } from '../helpers/e2e-env';
import { runStorm } from '../helpers/reliability-storm';

describeWithPushpin('reconnect storm (bounded)', () => {
  test('40 clients on both transports, each cut three times during 1,000 messages over 5 channels: 0 lost, 0 duplicated, in order', async () => {
    const result = await runStorm({
      gripClients: 20,
      nativeClients: 20,
      channels: 5,
      messages: 1000,
      cutsPerClient: 3,
      maxOfflineMs: 1500,
    });

    expect({
      lost: result.lost,
      duplicated: result.duplicated,
      outOfOrder: result.outOfOrder,
      wrongData: result.wrongData,
      notRecovered: result.notRecovered,
      samples: result.samples,
    }).toEqual({ lost: 0, duplicated: 0, outOfOrder: 0, wrongData: 0, notRecovered: 0, samples: [] });
    expect(result.delivered).toBe(result.expected);
    expect(result.expected).toBe(40 * 200);
    expect(result.cuts).toBeGreaterThanOrEqual(40 * 2);
    expect(result.reconnects).toBeGreaterThanOrEqual(40 * 2);
  }, 180_000);
});
