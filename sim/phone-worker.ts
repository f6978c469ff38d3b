/** The phone scans' worker thread (phone-scans.ts): rebuilds the run from its setup, then answers hour by hour. */
import { parentPort, workerData } from "node:worker_threads";
import { AirChange, PhoneScans, PhoneScanSetup } from "./phone-scans";

const scans = new PhoneScans(workerData as PhoneScanSetup);
parentPort!.on("message", ({ until, changes }: { until: number; changes: AirChange[] }) => parentPort!.postMessage(scans.advance(until, changes)));
