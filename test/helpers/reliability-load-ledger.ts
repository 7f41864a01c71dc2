/**
 * The ledger of a load run: which (receiver, sender, sequence) deliveries arrived, counted once each, so that
 * expected, delivered, lost, duplicated, out-of-order (per sender) and misrouted deliveries are exact. Rooms are
 * blocks of `roomSize` consecutive clients; every member receives every message of every member, itself included.
 * Pure and allocation-free on the hot path (typed arrays).
 */

/** The shape of a run: `clients` split into rooms of `roomSize`, each client sending `messages` messages. */
export interface LoadShape {
  readonly clients: number;
  readonly roomSize: number;
  readonly messages: number;
}

/** What a ledger counted. */
export interface LedgerCounts {
  readonly expected: number;
  readonly delivered: number;
  readonly lost: number;
  readonly duplicated: number;
  /** Deliveries that arrived after a later message of the same sender (to the same receiver). */
  readonly outOfOrder: number;
  /** Deliveries from a sender outside the receiver's room, or with a sequence number never sent. */
  readonly misrouted: number;
}

/** Counts deliveries of one run. */
export class LoadLedger {
  readonly expected: number;
  private readonly seen: Uint8Array;
  private readonly lastSeq: Int32Array;
  private delivered = 0;
  private duplicated = 0;
  private outOfOrder = 0;
  private misrouted = 0;
  /** `performance.now()` of the latest new delivery (0 before the first). */
  lastDeliveryAt = 0;

  constructor(readonly shape: LoadShape) {
    const { clients, roomSize, messages } = shape;
    if (clients % roomSize !== 0) {
      throw new Error(`${clients} clients do not fill rooms of ${roomSize}: use a multiple of the room size`);
    }
    this.expected = clients * roomSize * messages;
    this.seen = new Uint8Array(this.expected);
    this.lastSeq = new Int32Array(clients * roomSize).fill(-1);
  }

  /** The room of a client. */
  roomOf(client: number): number {
    return Math.floor(client / this.shape.roomSize);
  }

  /** Records that `receiver` got message `seq` of `sender`. */
  record(receiver: number, sender: number, seq: number): void {
    const { roomSize, messages, clients } = this.shape;
    const valid = Number.isInteger(sender) && sender >= 0 && sender < clients && Number.isInteger(seq);
    if (!valid || seq < 0 || seq >= messages || this.roomOf(sender) !== this.roomOf(receiver)) {
      this.misrouted++;
      return;
    }
    const pair = receiver * roomSize + (sender % roomSize);
    const slot = pair * messages + seq;
    if (this.seen[slot] === 1) {
      this.duplicated++;
      return;
    }
    this.seen[slot] = 1;
    this.delivered++;
    this.lastDeliveryAt = performance.now();
    if (seq < this.lastSeq[pair]) this.outOfOrder++;
    else this.lastSeq[pair] = seq;
  }

  /** Deliveries recorded so far (distinct). */
  get deliveredSoFar(): number {
    return this.delivered;
  }

  /** The counts; `lost` is what was expected and never arrived. */
  counts(): LedgerCounts {
    return {
      expected: this.expected,
      delivered: this.delivered,
      lost: this.expected - this.delivered,
      duplicated: this.duplicated,
      outOfOrder: this.outOfOrder,
      misrouted: this.misrouted,
    };
  }
}
