/** The end-to-end bench's look at one publish (a table) and its explanation of a missed target. */
'use strict';

const { fmt, ratio } = require('./stats');

/** The publish probe as a table. */
function publishTable(probe) {
  const row = (label, m) => [label, fmt(m.p50, 2), fmt(m.cpu, 2), ratio(m.cpu / probe.bare.cpu)];
  return {
    title: 'One publish to the idle Pushpin, sequential (median of blocks)',
    headers: ['publish call', 'p50 ms', 'CPU ms per call', 'CPU vs bare POST'],
    rows: [
      row("runtime's publishToProxies(), as shipped (node:http, keep-alive agent)", probe.shipped),
      row('same, its fetch option given a small node:http-based fetch (comparison)', probe.httpFetch),
      row("same, a fetch that answers at once (the publisher's own work)", probe.noNetwork),
      row('bare node:http POST of the same item', probe.bare),
    ],
  };
}

/** Paragraphs on what limits the chat path, from the publish probe. */
function explain(targets, probe) {
  const lines = [
    `Pushpin answers publishes with \`Connection: ${probe.connectionHeader}\`` +
      (probe.connectionHeader === 'close' ? ', so every publish opens a new connection, on every path.' : '.'),
  ];
  if (targets.some((t) => !t.met)) {
    lines.push(
      'What limits the chat path: the chat handler answers a TEXT event only after its publish returned, and Pushpin ' +
        "sends a connection's next events only after that answer, so extra time per message becomes queueing at the " +
        'sender once the machine is busy (Pushpin then sends the queued events together in one request, which the ' +
        `handler publishes one by one). A publish costs the runtime ${fmt(probe.shipped.cpu, 2)} ms of CPU against ${fmt(probe.bare.cpu, 2)} ms ` +
        `for a bare POST (${ratio(probe.shipped.cpu / probe.bare.cpu)}), of which its own work (JWT, JSON, timer) is ` +
        `${fmt(probe.noNetwork.cpu, 2)} ms. At 50 messages/s into a 100-member room this is the largest ` +
        'difference measured between the two paths. `node bench/run.js e2e --profile` adds a CPU profile of ' +
        'the chat server process to this section.',
    );
  }
  return lines;
}

module.exports = { explain, publishTable };
