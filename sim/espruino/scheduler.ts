/**
 * The virtual world clock shared by every simulated tag: time in milliseconds and a binary-heap event queue.
 * Events at the same time run in the order they were scheduled. Nothing here reads the wall clock.
 */

/** An action waiting in the queue; cancel it with `Scheduler.cancel`. */
export interface ScheduledEvent {
  /** World time (ms) it is due. */
  readonly time: number;
}

interface Entry extends ScheduledEvent {
  readonly seq: number;
  readonly action: () => void;
  cancelled: boolean;
}

/** A discrete-event scheduler on virtual milliseconds. */
export class Scheduler {
  private current = 0;
  private sequence = 0;
  private readonly heap: Entry[] = [];

  /** Current world time in ms. */
  now(): number {
    return this.current;
  }

  /** Schedules `action` at world time `time` (never earlier than now). */
  at(time: number, action: () => void): ScheduledEvent {
    const entry: Entry = { time: Math.max(time, this.current), seq: this.sequence++, action, cancelled: false };
    this.push(entry);
    return entry;
  }

  /** Schedules `action` `delayMs` from now. */
  after(delayMs: number, action: () => void): ScheduledEvent {
    return this.at(this.current + delayMs, action);
  }

  /** Drops a scheduled action (no effect if it already ran). */
  cancel(event: ScheduledEvent): void {
    (event as Entry).cancelled = true;
  }

  /** Runs every action due up to and including `time`, in order, then sets the clock to `time`. */
  runUntil(time: number): void {
    const heap = this.heap;
    while (heap.length > 0 && heap[0]!.time <= time) {
      const entry = this.pop();
      if (entry.cancelled) continue;
      this.current = entry.time;
      entry.action();
    }
    if (time > this.current) this.current = time;
  }

  /** Advances the clock by `ms`, running what falls due. */
  advance(ms: number): void {
    this.runUntil(this.current + ms);
  }

  /** Time of the next pending action, or null if none. */
  nextTime(): number | null {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop();
    return this.heap.length > 0 ? this.heap[0]!.time : null;
  }

  private push(entry: Entry): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(entry);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  private pop(): Entry {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      const n = heap.length;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= n) break;
        const right = left + 1;
        const child = right < n && before(heap[right]!, heap[left]!) ? right : left;
        if (!before(heap[child]!, last)) break;
        heap[i] = heap[child]!;
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}
