/**
 * Virtual tags in one room: every advert a tag sends reaches every other tag that is scanning at that
 * moment, at a fixed strength per pair. The smallest air that makes tags log each other; the simulator's
 * radio (sim/radio.ts) is the one with distances, walls, bodies and losses.
 */
import type { HostTag } from "../../sim/espruino/tag";

/**
 * Runs the tags' world to `untilMs`, handing each advertising event to every other tag scanning then, with
 * `rssi(receiver, sender)` (indexes into `tags`). Between two scheduled actions nothing can change what a
 * tag sends or whether it scans, so the events planned up to the next action are the ones on air. Returns
 * how many adverts the tags' programs took (passed their scan filters).
 */
export function runRoom(tags: readonly HostTag[], rssi: (receiver: number, sender: number) => number, untilMs: number): number {
  const scheduler = tags[0]!.scheduler;
  let taken = 0;
  while (scheduler.now() < untilMs) {
    const next = Math.min(scheduler.nextTime() ?? untilMs, untilMs);
    const due: { receiver: number; sender: number; time: number; address: string; data: Uint8Array }[] = [];
    tags.forEach((receiver, r) => {
      if (!receiver.radio.scanState().scanning) return;
      tags.forEach((sender, s) => {
        if (s === r) return;
        for (const event of sender.radio.advertisingEvents(scheduler.now(), next)) due.push({ receiver: r, sender: s, time: event.time, address: event.address, data: event.packet });
      });
    });
    due.sort((x, y) => x.time - y.time);
    for (const d of due) {
      scheduler.runUntil(d.time);
      if (tags[d.receiver]!.radio.deliverAdvert({ address: d.address, rssi: rssi(d.receiver, d.sender), data: d.data })) taken++;
    }
    scheduler.runUntil(next);
  }
  return taken;
}
